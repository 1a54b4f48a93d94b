//! Another helpdesk's notifier: GLPI, OTRS, Zammad, osTicket, Request
//! Tracker, Zendesk. Their notifications carry headers of their own
//! (`X-GLPI-*`, `X-OTRS-*`, `X-Zammad-*`…), found by name at parse time. A
//! ticket opened for one would answer a robot that answers back: the
//! classic helpdesk-to-helpdesk loop. The reason names the helpdesk, so an
//! operator sees at once which neighbour is writing.

use super::Noise;
use crate::mail::AutomationSignals;

pub(super) fn notifier(signals: &AutomationSignals) -> Option<Noise> {
    let (desk, header) = signals.helpdesk.as_ref()?;
    Some(Noise::Helpdesk(desk.clone(), header.clone()))
}
