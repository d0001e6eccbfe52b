// POST /api/v1/auth/login — the same sign-in under the API base path, for clients that prefix everything.
export { default } from '#server/routes/auth/login.post'
