//! SIGHUP: re-read the configuration file and apply what can change while
//! running — the institution, intake and ticket rules, limits, technicians
//! and the templates, in the writer and in the web pages alike (who is
//! staff or admin, the groups, the pages' words) — and say which changed
//! keys need a restart. A file that does not validate, or a template (mail
//! or page) that does not render, changes nothing: the daemon keeps running
//! on what it had.

use std::sync::Arc;

use tokio::sync::watch;

use super::writer::Writer;
use crate::config::Config;
use crate::notify::Notifier;
use crate::web::WebState;

pub async fn apply(running: &Config, writer: &Writer, notifier: &watch::Sender<Arc<Notifier>>, web: Option<&WebState>) {
    tracing::info!(file = %running.file.display(), "reloading the configuration (SIGHUP)");
    let new = match Config::load(&running.file) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            tracing::error!("reload refused, the running configuration stays: {e}");
            return;
        }
    };
    for key in needs_restart(running, &new) {
        tracing::warn!(key, "changed, but only takes effect at the next restart (systemctl restart mailgate)");
    }
    // The pages' templates are checked before the writer takes anything,
    // so that mail and web never run on two configurations.
    let pages = match web.map(|_| WebState::load_pages(&new)).transpose() {
        Ok(pages) => pages,
        Err(e) => {
            tracing::error!("reload refused, the running configuration stays: {e}");
            return;
        }
    };
    match writer.reload(new.clone()).await {
        Ok(templates) => {
            notifier.send_replace(templates);
            if let (Some(web), Some(pages)) = (web, pages) {
                web.reload(new, pages);
            }
            tracing::info!("configuration and templates reloaded");
        }
        Err(e) => tracing::error!("reload refused, the running configuration stays: {e}"),
    }
}

/// The keys whose change a running daemon cannot take: they shape its
/// connections, its database or its outbox. Secrets are compared masked,
/// so a new password also needs a restart, which this cannot see.
fn needs_restart(running: &Config, new: &Config) -> Vec<&'static str> {
    let pairs: [(&'static str, String, String); 8] = [
        ("database.path", json(&running.database_path), json(&new.database_path)),
        ("sources", json(&running.sources), json(&new.sources)),
        ("notifications.from", running.notifications.from.to_string(), new.notifications.from.to_string()),
        ("notifications.transport", json(&running.notifications.transport), json(&new.notifications.transport)),
        ("notifications.retry", json(&running.notifications.retry), json(&new.notifications.retry)),
        (
            "notifications.max_per_address_per_hour",
            running.notifications.max_per_address_per_hour.to_string(),
            new.notifications.max_per_address_per_hour.to_string(),
        ),
        ("metrics / logging", json(&(&running.metrics, &running.logging)), json(&(&new.metrics, &new.logging))),
        // The pages' listener, links and logo are built once; who is staff,
        // [staff_web] and the words follow reloads.
        ("web", json(&running.web), json(&new.web)),
    ];
    pairs.into_iter().filter(|(_, a, b)| a != b).map(|(key, _, _)| key).collect()
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
