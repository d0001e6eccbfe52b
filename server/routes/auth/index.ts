// /auth — the bare prefix: a JSON 404 like any unknown API path.
export { default } from '#server/api/[...]'
