import { ApiError } from '#server/utils/errors'

/** The certificate API's own conflicts and failures, beside the generic ones in utils/errors. */
export const tlsErrors = {
  notFound: () => new ApiError(404, 'CERTIFICATE_NOT_FOUND', 'Certificate not found', 'No certificate with that id exists.'),
  exists: (detail: string) => new ApiError(409, 'CERTIFICATE_EXISTS', 'Certificate already exists', detail),
  active: () => new ApiError(409, 'CERTIFICATE_ACTIVE', 'Certificate in use',
    'Postfix, Dovecot and the panel serve this certificate. Upload or issue a valid replacement first: the newest valid CA-issued certificate becomes active.'),
  notRenewable: (source: string) => new ApiError(409, 'CERTIFICATE_NOT_RENEWABLE', 'Certificate cannot be renewed',
    `Only certificates issued through certbot can be renewed; this one is ${source === 'upload' ? 'an upload: upload its successor instead' : 'the self-signed day-0 certificate: issue or upload a real one instead'}.`),
  capabilityMissing: (binary: string, pkg: string) => new ApiError(409, 'CAPABILITY_MISSING', `${binary} is not installed`,
    `Install the ${pkg} package (apt-get install ${pkg}, or dnf install ${pkg}) on this server and try again.`),
  certbotFailed: (detail: string) => new ApiError(502, 'CERTBOT_FAILED', 'certbot failed', detail),
}
