// POST /api/v1/auth/logout — the same sign-out under the API base path.
export { default } from '#server/routes/auth/logout.post'
