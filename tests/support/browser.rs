//! A real browser for the web pages' tests: Debian's chromedriver started
//! on a free port, driving a headless Chromium over WebDriver with the
//! `fantoccini` crate, and axe-core (vendored under `vendor/`, MPL-2.0)
//! run in the page to check accessibility. Installed by
//! `scripts/install-test-deps` (chromium, chromium-driver).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder};

const AXE: &str = include_str!("vendor/axe.min.js");

pub struct Browser {
    driver: Child,
    pub client: Client,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium of `width` × `height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        let port = super::free_port();
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver (scripts/install-test-deps installs chromium-driver)");
        // It says when it listens; it exits (end of its output) if it cannot.
        let mut lines = BufReader::new(driver.stdout.take().expect("chromedriver's output")).lines();
        let started = lines.by_ref().map_while(Result::ok).any(|l| l.contains("started successfully"));
        assert!(started, "chromedriver did not start on port {port}");
        // The rest of its output is read and dropped, so that it never blocks on it.
        std::thread::spawn(move || lines.for_each(drop));
        let url = format!("http://127.0.0.1:{port}");
        let mut caps = serde_json::Map::new();
        // A window is at least 500 px wide: a phone's screen is emulated.
        let mut options = serde_json::json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     format!("--window-size={width},{height}"), "--hide-scrollbars"],
        });
        if width < 500 {
            options["mobileEmulation"] =
                serde_json::json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0 } });
        }
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a Chromium session");
        Browser { driver, client }
    }

    /// The page's serious and critical accessibility violations (axe-core),
    /// as "rule: description" lines.
    pub async fn serious_violations(&self) -> Vec<String> {
        self.client.execute(AXE, vec![]).await.expect("load axe-core");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document).then(r => done(r.violations.map(v => [v.impact, v.id, v.help])));",
                vec![],
            )
            .await
            .expect("run axe-core");
        let Some(violations) = result.as_array() else {
            panic!("axe-core did not answer with its violations: {result}");
        };
        violations
            .iter()
            .filter_map(|v| v.as_array())
            .filter(|v| matches!(v.first().and_then(|i| i.as_str()), Some("serious" | "critical")))
            .map(|v| format!("{}: {}", v[1].as_str().unwrap_or("?"), v[2].as_str().unwrap_or("?")))
            .collect()
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
