export declare const MIN_JWT_SECRET_BYTES: number
export declare const MIN_METRICS_TOKEN_BYTES: number
export declare const CONFIG_DEFAULTS: Readonly<{
  ADMIN_USER: string
  HOST: string
  PORT: string
  LOG_FORMAT: string
  MAIL_HOSTNAME: string
  POLICYD_LISTEN: string
  MAILSTATS_INTERVAL_S: string
  HTTPS: string
  MAILLOG_SOURCE: string
}>
export declare const ipListEntries: (value: string) => string[]
export declare function isDnsName(value: string): boolean
export declare const configRules: Record<string, (value: string) => string | undefined>
export declare const REQUIRED_KEYS: readonly string[]
export interface ConfigProblem { key: string, message: string }
export declare function configProblems(values: Record<string, string | undefined>, options?: { required?: readonly string[] }): ConfigProblem[]
