//! The load tool: `clients` concurrent HTTP clients, each asking the paths
//! a closure gives it (client number, request number → path), over plain
//! HTTP/1.1 on loopback, one connection per request (the pages' listener
//! serves one request per connection). Any answer but 200 is a failure of
//! the run, not a slow figure. New pages are measured by giving another
//! closure (e.g. the staff pages' URLs, with their session cookie).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// When each client stops.
#[derive(Clone, Copy)]
pub enum Until<'a> {
    /// After this many requests each.
    Requests(usize),
    /// When the flag is raised (e.g. when an ingestion is over).
    Flag(&'a AtomicBool),
}

/// One request: the path (with its query) and extra header lines, each
/// ending in "\r\n" (a cookie, for pages behind a session).
pub struct Request {
    pub path: String,
    pub headers: String,
}

impl Request {
    pub fn get(path: String) -> Request {
        Request { path, headers: String::new() }
    }
}

/// What a run measured.
pub struct Figures {
    pub latencies: Vec<Duration>,
    pub wall: Duration,
    pub bytes: usize,
}

impl Figures {
    pub fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let i = ((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1);
        sorted.get(i).copied().unwrap_or_default()
    }

    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }

    /// One line: count, p50/p90/p99/max and requests per second.
    pub fn line(&self, name: &str) -> String {
        let size = match self.bytes / self.latencies.len().max(1) {
            0 => String::new(),
            b => format!(", {} KiB each", b / 1024),
        };
        format!(
            "{name}: {} requests in {:.2?} ({:.0} req/s{size}): p50 {:.1?}, p90 {:.1?}, p99 {:.1?}, max {:.1?}",
            self.latencies.len(),
            self.wall,
            self.per_second(),
            self.quantile(0.50),
            self.quantile(0.90),
            self.quantile(0.99),
            self.quantile(1.0),
        )
    }
}

/// Runs the clients against `port` and gathers every request's latency.
pub fn http(
    port: u16,
    clients: usize,
    until: Until<'_>,
    request: &(dyn Fn(usize, usize) -> Request + Sync),
) -> Figures {
    let started = Instant::now();
    let per_client: Vec<(Vec<Duration>, usize)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..clients)
            .map(|c| {
                s.spawn(move || {
                    let mut latencies = Vec::new();
                    let mut bytes = 0;
                    for n in 0.. {
                        let more = match until {
                            Until::Requests(each) => n < each,
                            Until::Flag(done) => !done.load(Ordering::Relaxed),
                        };
                        if !more {
                            break;
                        }
                        let asked = request(c, n);
                        let t = Instant::now();
                        bytes += get(port, &asked);
                        latencies.push(t.elapsed());
                    }
                    (latencies, bytes)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a client failed")).collect()
    });
    let wall = started.elapsed();
    let bytes = per_client.iter().map(|(_, b)| b).sum();
    Figures { latencies: per_client.into_iter().flat_map(|(l, _)| l).collect(), wall, bytes }
}

/// One GET to the end of its answer; its size. Panics on anything but 200:
/// a benchmark of error pages measures nothing.
fn get(port: u16, request: &Request) -> usize {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the pages");
    stream.set_nodelay(true).expect("nodelay");
    let head = format!("GET {} HTTP/1.1\r\nHost: bench\r\n{}Connection: close\r\n\r\n", request.path, request.headers);
    stream.write_all(head.as_bytes()).expect("send the request");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read the answer");
    let status = answer.split(|b| *b == b'\r').next().unwrap_or_default();
    assert!(
        status.starts_with(b"HTTP/1.1 200"),
        "{} answered {}",
        request.path.split('?').next().unwrap_or_default(),
        String::from_utf8_lossy(status)
    );
    answer.len()
}

/// The same figures for reads made in the process, through a closure
/// (e.g. the web's read pool): `clients` tasks on a runtime like the
/// daemon's, each making `each` reads.
pub fn in_process<F, Fut>(rt: &tokio::runtime::Runtime, clients: usize, each: usize, read: F) -> Figures
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let read = std::sync::Arc::new(read);
    let started = Instant::now();
    let per_client: Vec<Vec<Duration>> = rt.block_on(async {
        let tasks: Vec<_> = (0..clients)
            .map(|c| {
                let read = read.clone();
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(each);
                    for n in 0..each {
                        let t = Instant::now();
                        read(c, n).await;
                        latencies.push(t.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("a reader failed"));
        }
        out
    });
    Figures { latencies: per_client.into_iter().flatten().collect(), wall: started.elapsed(), bytes: 0 }
}

/// Waits for `condition`, checking every 20 ms, for at most `deadline`.
pub fn wait_for(what: &str, deadline: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        std::thread::park_timeout(Duration::from_millis(20));
    }
}
