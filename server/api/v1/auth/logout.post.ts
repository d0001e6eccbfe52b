// POST /api/v1/auth/logout — the same sign-out under the API base path.
export { default } from '../../../routes/auth/logout.post'
