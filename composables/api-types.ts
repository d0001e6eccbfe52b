// Response shapes of the v1 API (SPEC §2a), as the dashboard receives them: each is the server's own
// declaration in shared/types with dates as ISO strings (`Serialized`), so client and server cannot
// drift. Request shapes come from the valibot schemas in shared/schemas.
import type { About as AboutRecord } from '#shared/types/about'
import type { Actor, AuditEntry as AuditRecord, SecuritySettings as SecuritySettingsRecord, Token as TokenRecord } from '#shared/types/access'
import type { Certificate as CertificateRecord } from '#shared/types/certificates'
import type { Alias as AliasRecord, Domain as DomainRecord, Mailbox as MailboxRecord } from '#shared/types/directory'
import type { ReconcileReport, ReconcileStatus as ReconcileStatusRecord } from '#shared/types/mailstack'
import type { PolicydStatus as PolicydStatusRecord, PolicydUsage } from '#shared/types/policyd'
import type { QueueList as QueueListRecord } from '#shared/types/queue'
import type { Webhook as WebhookRecord } from '#shared/types/webhooks'
import type { Serialized } from '#shared/types/wire'

export type { ListEnvelope as ListResponse, MessageResponse } from '#shared/types/list'
export type { AntispamConfig, AntispamFeatureState, WhitelistEntry, WhitelistKind } from '#shared/types/antispam'
export type { DkimAlgorithm, DkimKey, DkimKeyStatus } from '#shared/types/dkim'
export type { LogLevel, LogLine, LogsResponse } from '#shared/types/logs'
export type { MailSession, SessionKickResponse, SessionsResponse } from '#shared/types/sessions'
export type { LimitOverrides } from '#shared/schemas/limits'
export type { EffectiveLimits } from '#shared/types/directory'

export type Me = Actor
export type Domain = Serialized<DomainRecord>
export type Mailbox = Serialized<MailboxRecord>
export type Alias = Serialized<AliasRecord>
export type Token = Serialized<TokenRecord>
export type Webhook = Serialized<WebhookRecord>
export type AuditEntry = AuditRecord
export type SecuritySettings = SecuritySettingsRecord
export type About = AboutRecord
export type Certificate = Serialized<CertificateRecord>
export type PolicydUsageRow = PolicydUsage
export type PolicydStatus = Serialized<PolicydStatusRecord>
/** A reconcile run: the recorded one in the status, or the plan/result POST /reconcile returns. */
export type ReconcileRun = Serialized<ReconcileReport>
export type ReconcileStatus = Serialized<ReconcileStatusRecord>
export type QueueList = Serialized<QueueListRecord>
export type QueueMessage = QueueList['data'][number]
export type { QueueActionResponse, QueueName } from '#shared/types/queue'
export type { WebmailActionResponse, WebmailConfigResponse, WebmailLogsResponse, WebmailRegenResponse, WebmailStatus } from '#shared/types/webmail'
