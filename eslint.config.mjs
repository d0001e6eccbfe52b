// @ts-check
import withNuxt from './.nuxt/eslint.config.mjs'

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
)
