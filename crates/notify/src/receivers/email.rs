//! E-mail over SMTP: STARTTLS (required by default), implicit TLS on port
//! 465, PLAIN/LOGIN authentication.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{NotifyContext, SendError, read_secret_file};
use crate::config::types::EmailConfig;
use crate::template::default_templates;

fn mailboxes(list: &str) -> Result<Vec<Mailbox>, SendError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Mailbox>()
                .map_err(|e| SendError::permanent(format!("parsing address {s:?}: {e}")))
        })
        .collect()
}

/// Builds the message.
pub(crate) fn build_message(
    c: &EmailConfig,
    ctx: &NotifyContext<'_>,
) -> Result<Message, SendError> {
    let d = ctx.data;
    let defaults = default_templates(d);
    let from = ctx.templates.render(&c.from, d)?;
    let to = ctx.templates.render(&c.to, d)?;
    let subject = match c
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("subject"))
    {
        Some((_, v)) => ctx.templates.render(v, d)?,
        None => defaults["email.default.subject"].clone(),
    };
    let mut b = Message::builder()
        .from(
            from.parse::<Mailbox>()
                .map_err(|e| SendError::permanent(format!("parsing from address: {e}")))?,
        )
        .subject(subject);
    for m in mailboxes(&to)? {
        b = b.to(m);
    }
    for (k, v) in &c.headers {
        let lower = k.to_ascii_lowercase();
        if matches!(lower.as_str(), "subject" | "to" | "from") {
            continue;
        }
        let name = HeaderName::new_from_ascii(k.clone())
            .map_err(|e| SendError::permanent(format!("header {k:?}: {e}")))?;
        b = b.raw_header(HeaderValue::new(name, ctx.templates.render(v, d)?));
    }
    let html = match &c.html {
        Some(t) => ctx.templates.render(t, d)?,
        None => defaults["email.default.html"].clone(),
    };
    let text = match &c.text {
        Some(t) => Some(ctx.templates.render(t, d)?),
        None => None,
    };
    let body = match (text, html.is_empty()) {
        (Some(t), false) => b.multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(t))
                .singlepart(SinglePart::html(html)),
        ),
        (Some(t), true) => b.singlepart(SinglePart::plain(t)),
        (None, _) => b.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(html),
        ),
    };
    body.map_err(|e| SendError::permanent(format!("building message: {e}")))
}

pub(crate) async fn notify(c: &EmailConfig, ctx: &NotifyContext<'_>) -> Result<(), SendError> {
    let msg = build_message(c, ctx)?;
    let (host, port) = match c.smarthost.rsplit_once(':') {
        Some((h, p)) => (
            h.trim_start_matches('[').trim_end_matches(']').to_string(),
            p.parse::<u16>().map_err(|_| {
                SendError::permanent(format!("invalid smarthost {:?}", c.smarthost))
            })?,
        ),
        None => {
            return Err(SendError::permanent(format!(
                "invalid smarthost {:?}",
                c.smarthost
            )));
        }
    };
    let insecure = c
        .tls_config
        .as_ref()
        .and_then(|t| t.get("insecure_skip_verify"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let server_name = c
        .tls_config
        .as_ref()
        .and_then(|t| t.get("server_name"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| host.clone());
    let params = TlsParameters::builder(server_name)
        .dangerous_accept_invalid_certs(insecure)
        .build_rustls()
        .map_err(|e| SendError::permanent(format!("TLS settings: {e}")))?;
    let tls = if port == 465 || c.force_implicit_tls == Some(true) {
        Tls::Wrapper(params)
    } else if c.require_tls.unwrap_or(true) {
        Tls::Required(params)
    } else {
        Tls::Opportunistic(params)
    };
    let mut t = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .tls(tls)
        .timeout(Some(std::time::Duration::from_secs(30)));
    if !c.hello.is_empty() {
        t = t.hello_name(ClientId::Domain(c.hello.clone()));
    }
    if !c.auth_username.is_empty() {
        let pass = if !c.auth_password_file.is_empty() {
            read_secret_file(&c.auth_password_file)?
        } else {
            c.auth_password.expose().to_string()
        };
        t = t
            .credentials(Credentials::new(c.auth_username.clone(), pass))
            .authentication(vec![Mechanism::Plain, Mechanism::Login]);
    }
    let transport = t.build();
    transport.send(msg).await.map(|_| ()).map_err(|e| {
        let retry = e.is_transient() || e.is_timeout() || !e.is_permanent();
        SendError {
            reason: format!("sending mail: {e}"),
            retry,
        }
    })
}
