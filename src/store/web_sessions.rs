//! Staff sign-in on the web, as stored: sign-in link tokens and sessions,
//! each kept only as the SHA-256 of the secret its holder has (see
//! `web::staff::session`), so that a copy of the database opens nothing.
//! Times are stored RFC 3339 UTC to the second and compared as text, as
//! everywhere in the store. Each check and its consequence is one statement:
//! a token is consumed by the DELETE that reads it, so two requests racing
//! with one link cannot both sign in; a session is prolonged by the UPDATE
//! that checks it is still live.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError};

/// How a session was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionOrigin {
    /// A sign-in link mailed to the address.
    Link,
    /// The trusted reverse proxy's user header.
    Proxy,
}

impl SessionOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionOrigin::Link => "link",
            SessionOrigin::Proxy => "proxy",
        }
    }

    fn parse(s: &str) -> Option<SessionOrigin> {
        [SessionOrigin::Link, SessionOrigin::Proxy].into_iter().find(|o| o.as_str() == s)
    }
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionRecord {
    /// Who is signed in (lower-cased). Whether they are still staff, and
    /// admin, is asked of the configuration at each request, not stored.
    pub email: String,
    pub origin: SessionOrigin,
    pub created_at: String,
    pub idle_until: String,
    pub absolute_until: String,
}

impl Store {
    /// Records a sign-in link's token (its hash), valid until `expires_at`.
    pub fn insert_signin_token(
        &mut self,
        token_hash: &str,
        email: &str,
        now: &str,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO web_signin_tokens (token_hash, email, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![token_hash, email, now, expires_at])?;
        Ok(())
    }

    /// How many links sent to `email` are still unused and unexpired at
    /// `now`: the sign-in form sends no more past a few.
    pub fn pending_signin_links(&self, email: &str, now: &str) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM web_signin_tokens WHERE email = ?1 AND expires_at > ?2")?
            .query_row(params![email, now], |r| r.get(0))?)
    }

    /// Uses up the link whose token hashes to `token_hash`: the address it
    /// was sent to, or None when there is no such link, it was used
    /// already, or it expired (an expired link is used up too).
    pub fn consume_signin_token(&mut self, token_hash: &str, now: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String, String)> = self
            .conn
            .prepare_cached("DELETE FROM web_signin_tokens WHERE token_hash = ?1 RETURNING email, expires_at")?
            .query_row([token_hash], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.and_then(|(email, expires_at)| (expires_at.as_str() > now).then_some(email)))
    }

    /// Opens a session for `email`, known by `id_hash`.
    pub fn create_session(
        &mut self,
        id_hash: &str,
        email: &str,
        origin: SessionOrigin,
        now: &str,
        idle_until: &str,
        absolute_until: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO web_sessions (id_hash, email, origin, created_at, last_seen_at, idle_until, absolute_until)
                 VALUES (?1, ?2, ?3, ?4, ?4, min(?5, ?6), ?6)",
            )?
            .execute(params![id_hash, email, origin.as_str(), now, idle_until, absolute_until])?;
        Ok(())
    }

    /// The session `id_hash` if it is live at `now`, its idle deadline moved
    /// on to `idle_until` (never past its absolute one). A session past
    /// either deadline is refused, and deleted.
    pub fn touch_session(
        &mut self,
        id_hash: &str,
        now: &str,
        idle_until: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let live = self
            .conn
            .prepare_cached(
                "UPDATE web_sessions SET last_seen_at = ?2, idle_until = min(?3, absolute_until)
                 WHERE id_hash = ?1 AND idle_until > ?2 AND absolute_until > ?2
                 RETURNING email, origin, created_at, idle_until, absolute_until",
            )?
            .query_row(params![id_hash, now, idle_until], session_row)
            .optional()?;
        if live.is_none() {
            self.delete_session(id_hash)?;
        }
        Ok(live)
    }

    /// The session `id_hash` if it is live at `now`, read without moving
    /// its idle deadline: the pages read it on their read-only connections
    /// and ask the writer to prolong it only now and then.
    pub fn live_session(&self, id_hash: &str, now: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT email, origin, created_at, idle_until, absolute_until FROM web_sessions
                 WHERE id_hash = ?1 AND idle_until > ?2 AND absolute_until > ?2",
            )?
            .query_row(params![id_hash, now], session_row)
            .optional()?)
    }

    /// Signs out: the session is gone. Returns whether there was one.
    pub fn delete_session(&mut self, id_hash: &str) -> Result<bool, StoreError> {
        Ok(self.conn.prepare_cached("DELETE FROM web_sessions WHERE id_hash = ?1")?.execute([id_hash])? == 1)
    }

    /// Ends every session of `email` (signed out everywhere, or no longer
    /// staff). Returns how many.
    pub fn delete_sessions_of(&mut self, email: &str) -> Result<usize, StoreError> {
        Ok(self.conn.prepare_cached("DELETE FROM web_sessions WHERE email = ?1")?.execute([email])?)
    }

    /// Drops expired links and sessions; returns how many rows went.
    pub fn purge_web_auth(&mut self, now: &str) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let links = tx.execute("DELETE FROM web_signin_tokens WHERE expires_at <= ?1", [now])?;
        let sessions = tx.execute("DELETE FROM web_sessions WHERE absolute_until <= ?1 OR idle_until <= ?1", [now])?;
        tx.commit()?;
        Ok(links + sessions)
    }
}

/// A session row: email, origin, created_at, idle_until, absolute_until.
fn session_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRecord> {
    let origin: String = r.get(1)?;
    Ok(SessionRecord {
        email: r.get(0)?,
        origin: SessionOrigin::parse(&origin)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(1, origin, rusqlite::types::Type::Text))?,
        created_at: r.get(2)?,
        idle_until: r.get(3)?,
        absolute_until: r.get(4)?,
    })
}

#[cfg(test)]
#[path = "web_sessions_tests.rs"]
mod tests;
