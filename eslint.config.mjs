// @ts-check
import withNuxt from './.nuxt/eslint.config.mjs'

// The server's storeys, top to bottom; a file may import only from its own storey or those below:
// entry points → request layer → domain modules → db → utils (README "Architecture").
const ENTRY = ['api', 'routes', 'middleware', 'plugins', 'tasks', 'cli']
const REQUEST = ['request']
const DOMAIN = ['services', 'mailstack', 'policyd']
const DB = ['db']
/**
 * @param {string[]} folders
 * @param {string} storey
 * @returns {import("eslint").Linter.Config}
 */
const above = (folders, storey) => ({
  files: [`server/${storey}/**`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [
        { regex: `^#server/(${folders.join('|')})(/|$)`, message: `server/${storey} sits below these folders: imports point down only (README "Architecture").` },
        { regex: '^(\\.\\./)+(\\.\\./)', message: 'Import another folder of server/ through #server/… (or #shared/…, #lib/…).' },
      ],
    }],
  },
})

export default withNuxt(
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Command-line scripts and benchmarks talk to a terminal on purpose.
    files: ['scripts/**', 'tests/bench/**', '.ci/**'],
    rules: { 'no-console': 'off' },
  },
  above(ENTRY, 'request'),
  ...DOMAIN.map(folder => above([...ENTRY, ...REQUEST], folder)),
  above([...ENTRY, ...REQUEST, ...DOMAIN], 'db'),
  above([...ENTRY, ...REQUEST, ...DOMAIN, ...DB], 'utils'),
)
