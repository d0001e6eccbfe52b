export { default } from '../../api/[...]'
