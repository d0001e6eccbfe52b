// The one test for "an IP address or a CIDR", shared by the API's schemas (shared/schemas/security.ts),
// config.env's rules (lib/config-rules.mjs, METRICS_ALLOW) and so the installer: plain JavaScript with
// no Node built-ins, so the dashboard's bundle can use it too.

// Four decimal octets 0..255 without leading zeros (as valibot's ip() and Node's isIP read them).
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
const IPV6_CHARS = /^[0-9a-f:.]+$/i

/**
 * An IPv6 address in any RFC 4291 spelling (`::`, embedded IPv4): the WHATWG URL parser, present in
 * browsers and Node alike, is the strict parser here.
 * @param {string} value
 */
function isIpv6(value) {
  if (!value.includes(':') || !IPV6_CHARS.test(value)) return false
  try {
    return new URL(`http://[${value}]/`).hostname.length > 2
  }
  catch {
    return false
  }
}

/** @param {string} value */
export const isIp = value => IPV4.test(value) || isIpv6(value)

/**
 * `203.0.113.7`, `203.0.113.0/24`, `2001:db8::1` or `2001:db8::/32`.
 * @param {string} entry
 */
export function isIpOrCidr(entry) {
  const [addr = '', prefix, ...rest] = entry.split('/')
  if (rest.length || !isIp(addr)) return false
  if (prefix === undefined) return true
  const max = addr.includes(':') ? 128 : 32
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= max
}
