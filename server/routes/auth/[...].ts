export { default } from '#server/api/[...]'
