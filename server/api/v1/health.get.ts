// GET /api/v1/health — the deep probe under the API base path.
export { default } from '#server/routes/health.get'
