//! Content-addressed blobs: raw copies of mails and attachments, stored once
//! by SHA-256 inside the same transaction as what refers to them. Text
//! compresses several times over (a raw mail is headers, quoted text and
//! base64), so a blob is stored zstd-compressed when that saves at least a
//! tenth of it; what is already compressed (JPEG, PDF, zip) is stored as is,
//! since trying costs little and the check is on the result, not on a name.
//! Reading inflates at most the recorded size, so a damaged or hostile row
//! cannot inflate beyond what was stored.

use std::cell::RefCell;

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// Below this size compression saves nothing worth its framing.
const MIN_COMPRESSED: usize = 256;
/// zstd's level: 1, its fastest regular one. Against its default of 3 it
/// took a new ticket from 286 to 272 µs in the pipeline benchmark and left
/// the database's growth per mail unchanged at 18.4 KiB (bench/growth):
/// mail text compresses well at any level, and the writer's CPU is what
/// paces intake.
const LEVEL: i32 = 1;
/// The codec name stored with a compressed blob.
const ZSTD: &str = "zstd";

/// Stores `bytes` under `sha256` unless it is there already (a second
/// delivery of one mail, an attachment sent twice); a blob whose bytes were
/// purged gets them back.
pub(super) fn put(conn: &Connection, sha256: &str, bytes: &[u8]) -> rusqlite::Result<()> {
    let compressed = compress(bytes);
    let (stored, codec) = match &compressed {
        Some(c) => (c.as_slice(), Some(ZSTD)),
        None => (bytes, None),
    };
    conn.prepare_cached(
        "INSERT INTO blobs (sha256, size, bytes, codec) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(sha256) DO UPDATE SET bytes = excluded.bytes, codec = excluded.codec WHERE blobs.bytes IS NULL",
    )?
    .execute(params![sha256, bytes.len() as i64, stored, codec])?;
    Ok(())
}

thread_local! {
    // One context per thread, reused: creating one per call was a visible
    // share of a mail's cost (ZSTD_createCCtx in a profile of run --once).
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

/// `bytes` compressed, when that saves at least a tenth of them.
pub(super) fn compress(bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.len() < MIN_COMPRESSED {
        return None;
    }
    COMPRESSOR
        .with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                *slot = zstd::bulk::Compressor::new(LEVEL).ok();
            }
            slot.as_mut()?.compress(bytes).ok()
        })
        .filter(|c| c.len() <= bytes.len() - bytes.len() / 10)
}

/// What [`compress`] made, inflated to at most `max` bytes.
pub(super) fn inflate(compressed: &[u8], max: usize) -> Result<Vec<u8>, String> {
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new().map_err(|e| e.to_string())?);
        }
        match slot.as_mut() {
            Some(d) => d.decompress(compressed, max).map_err(|e| e.to_string()),
            None => Err("no zstd context".into()),
        }
    })
}

/// The bytes of a stored blob as they were put; None when there is no such
/// blob, Some(None) when its bytes were purged.
pub(super) fn get(conn: &Connection, sha256: &str) -> Result<Option<Option<Vec<u8>>>, StoreError> {
    let row: Option<(i64, Option<Vec<u8>>, Option<String>)> = conn
        .prepare_cached("SELECT size, bytes, codec FROM blobs WHERE sha256 = ?1")?
        .query_row([sha256], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((size, bytes, codec)) = row else { return Ok(None) };
    let Some(bytes) = bytes else { return Ok(Some(None)) };
    match codec.as_deref() {
        None => Ok(Some(Some(bytes))),
        Some(ZSTD) => {
            let size = usize::try_from(size).unwrap_or(0);
            let inflated = inflate(&bytes, size)
                .map_err(|e| StoreError::Refused(format!("blob {sha256} cannot be decompressed: {e}")))?;
            Ok(Some(Some(inflated)))
        }
        Some(other) => Err(StoreError::Refused(format!(
            "blob {sha256} is stored with codec \"{other}\", unknown to this mailgate: upgrade it"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Connection {
        let conn = Connection::open_in_memory().expect("db");
        conn.execute_batch(
            "CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, bytes BLOB, codec TEXT)",
        )
        .expect("table");
        conn
    }

    fn stored(conn: &Connection, sha: &str) -> (i64, Option<String>) {
        conn.query_row("SELECT length(bytes), codec FROM blobs WHERE sha256 = ?1", [sha], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("row")
    }

    #[test]
    fn text_is_stored_compressed_and_read_back_as_it_was() {
        let conn = store();
        let mail = "Received: from x\r\nSubject: Imprimante\r\n\r\nBonjour, l'imprimante du CDI ne répond plus.\r\n"
            .repeat(50);
        put(&conn, "a", mail.as_bytes()).expect("put");
        let (length, codec) = stored(&conn, "a");
        assert_eq!(codec.as_deref(), Some("zstd"));
        assert!((length as usize) < mail.len() / 4, "{length} of {}", mail.len());
        assert_eq!(get(&conn, "a").expect("get"), Some(Some(mail.into_bytes())));
    }

    #[test]
    fn what_does_not_compress_is_stored_as_is() {
        let conn = store();
        // What a JPEG or a zip looks like to a compressor: noise (xorshift).
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 56) as u8
            })
            .collect();
        put(&conn, "b", &noise).expect("put");
        assert_eq!(stored(&conn, "b"), (4096, None));
        assert_eq!(get(&conn, "b").expect("get"), Some(Some(noise)));
        put(&conn, "c", b"court").expect("put");
        assert_eq!(stored(&conn, "c").1, None, "too small to be worth it");
    }

    #[test]
    fn a_blob_that_would_inflate_past_its_size_is_an_error_not_a_bomb() {
        let conn = store();
        let bomb = zstd::bulk::compress(&vec![0u8; 10 << 20], 3).expect("compress");
        conn.execute("INSERT INTO blobs VALUES ('d', 100, ?1, 'zstd')", [bomb]).expect("insert");
        assert!(get(&conn, "d").is_err());
        assert_eq!(get(&conn, "missing").expect("get"), None);
    }
}
