-- The three-tier rule, written once: a mailbox's own override, else its domain's, else the server
-- default, with the tier each value came from. Everything that needs an effective limit reads this
-- view: the mailbox API (quota_mb, GET /mailboxes/:id/effective-config), the policy daemon, and
-- Dovecot's user_query (quota). PostgreSQL inlines the view, so a lookup by (domain_name, username)
-- or mailbox_id is still one probe of domains(name) and one of mailboxes(domain_id, username) / (id).
CREATE VIEW mailbox_limits AS
SELECT m.id AS mailbox_id,
       m.domain_id,
       d.name AS domain_name,
       m.username,
       m.active AND d.active AS active,
       coalesce(m.smtp_enabled, d.smtp_enabled, s.smtp_enabled) AS smtp_enabled,
       coalesce(m.require_tls, d.require_tls, s.require_tls) AS require_tls,
       coalesce(m.max_message_size, d.max_message_size, s.max_message_size) AS max_message_size,
       coalesce(m.max_recipients, d.max_recipients, s.max_recipients) AS max_recipients,
       coalesce(m.daily_send_limit, d.daily_send_limit, s.daily_send_limit) AS daily_send_limit,
       coalesce(m.quota_mb, d.quota_mb, s.quota_mb) AS quota_mb,
       CASE WHEN m.smtp_enabled IS NOT NULL THEN 'mailbox' WHEN d.smtp_enabled IS NOT NULL THEN 'domain' ELSE 'server' END AS smtp_enabled_source,
       CASE WHEN m.require_tls IS NOT NULL THEN 'mailbox' WHEN d.require_tls IS NOT NULL THEN 'domain' ELSE 'server' END AS require_tls_source,
       CASE WHEN m.max_message_size IS NOT NULL THEN 'mailbox' WHEN d.max_message_size IS NOT NULL THEN 'domain' ELSE 'server' END AS max_message_size_source,
       CASE WHEN m.max_recipients IS NOT NULL THEN 'mailbox' WHEN d.max_recipients IS NOT NULL THEN 'domain' ELSE 'server' END AS max_recipients_source,
       CASE WHEN m.daily_send_limit IS NOT NULL THEN 'mailbox' WHEN d.daily_send_limit IS NOT NULL THEN 'domain' ELSE 'server' END AS daily_send_limit_source,
       CASE WHEN m.quota_mb IS NOT NULL THEN 'mailbox' WHEN d.quota_mb IS NOT NULL THEN 'domain' ELSE 'server' END AS quota_mb_source
FROM mailboxes m
JOIN domains d ON d.id = m.domain_id
CROSS JOIN server_settings s;
