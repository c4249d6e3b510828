//! `argus push`: push a text-format file (or stdin) to a push gateway (argus
//! or a Pushgateway), for batch jobs and cron scripts, with retries and
//! exit codes a script can act on: 0 pushed, 1 refused (bad input), 2 could
//! not reach the gateway after the retries.

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::cli::{PushArgs, PushMethod};

pub(crate) fn run(a: PushArgs) -> anyhow::Result<ExitCode> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let body = if a.delete {
        Vec::new()
    } else {
        match a.file.as_deref() {
            None | Some("-") => {
                let mut b = Vec::new();
                std::io::stdin().read_to_end(&mut b).context("cannot read stdin")?;
                b
            }
            Some(f) => std::fs::read(f).with_context(|| format!("cannot read {f}"))?,
        }
    };
    let url = group_url(&a.url, &a.job, &a.labels)?;
    let rt =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    rt.block_on(send(&a, url, body))
}

/// `<base>/metrics/job@base64/<job>{/<name>@base64/<value>}`: base64 keeps
/// slashes and empty values safe, as Prometheus' client libraries do.
fn group_url(base: &str, job: &str, labels: &[String]) -> anyhow::Result<String> {
    let mut url = format!("{}/metrics/job@base64/{}", base.trim_end_matches('/'), b64(job));
    for l in labels {
        let (k, v) = l.split_once('=').with_context(|| format!("--label {l:?} is not name=value"))?;
        if !argus_model::is_valid_label_name(k) {
            anyhow::bail!("--label {l:?}: invalid label name {k:?}");
        }
        url.push_str(&format!("/{k}@base64/{}", b64(v)));
    }
    Ok(url)
}

/// URL-safe base64 without padding; the empty string is `=` as the
/// Pushgateway requires.
fn b64(s: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if s.is_empty() {
        return "=".into();
    }
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &c)| acc | (c as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

async fn send(a: &PushArgs, url: String, body: Vec<u8>) -> anyhow::Result<ExitCode> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(a.timeout_secs))
        .build()
        .context("cannot build the HTTP client")?;
    let mut delay = Duration::from_millis(500);
    for attempt in 0..=a.retries {
        let req = if a.delete {
            client.delete(&url)
        } else {
            let m = match a.method {
                PushMethod::Put => client.put(&url),
                PushMethod::Post => client.post(&url),
            };
            m.header("Content-Type", "text/plain; version=0.0.4").body(body.clone())
        };
        match req.send().await {
            Ok(resp) if resp.status().is_success() => return Ok(ExitCode::SUCCESS),
            Ok(resp) if resp.status().is_client_error() => {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                eprintln!("push refused ({status}): {}", text.trim_end());
                return Ok(ExitCode::from(1));
            }
            Ok(resp) => eprintln!("attempt {}: gateway answered {}", attempt + 1, resp.status()),
            Err(e) => eprintln!("attempt {}: cannot reach {url}: {e}", attempt + 1),
        }
        if attempt < a.retries {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }
    Ok(ExitCode::from(2))
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_url_safe() {
        assert_eq!(super::b64(""), "=");
        assert_eq!(super::b64("db1"), "ZGIx");
        assert_eq!(super::b64("a/b"), "YS9i");
        assert_eq!(super::b64("??>"), "Pz8-");
        assert_eq!(super::b64("ab"), "YWI");
    }
}
