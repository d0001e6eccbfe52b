// GET /api — the bare prefix is not an endpoint either: the same JSON 404 as any unknown API path.
export { default } from '#server/api/[...]'
