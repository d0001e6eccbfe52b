/** GET /api/v1/about: what the About modal shows. A daemon that is missing reads "not installed". */
export interface About {
  version: string
  build: string
  os: string
  postfix: string
  dovecot: string
  hostname: string
  mail_hostname: string
}
