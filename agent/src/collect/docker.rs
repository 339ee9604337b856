//! Docker containers, straight from the Engine API on its unix socket.
//!
//! One HTTP/1.0 request by hand: HTTP/1.0 makes the daemon close the
//! connection after the body, so reading to EOF is the whole protocol and no
//! HTTP client stack for unix sockets is needed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use homelabcmd_protocol::heartbeat::ContainerStatus;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TIMEOUT: Duration = Duration::from_secs(5);
/// Far above any real listing; stops a misbehaving peer from eating memory.
const MAX_RESPONSE: u64 = 16 * 1024 * 1024;

/// The fields of `GET /containers/json` we use; the rest is skipped unparsed.
#[derive(Debug, Deserialize)]
struct ApiContainer {
    #[serde(rename = "Names", default)]
    names: Vec<String>,
    #[serde(rename = "Id", default)]
    id: String,
    #[serde(rename = "Image", default)]
    image: String,
    #[serde(rename = "State", default)]
    state: String,
    #[serde(rename = "Status", default)]
    status: Option<String>,
}

pub fn parse_containers(json: &[u8]) -> Result<Vec<ContainerStatus>, serde_json::Error> {
    let list: Vec<ApiContainer> = serde_json::from_slice(json)?;
    Ok(list
        .into_iter()
        .map(|c| {
            let name = c
                .names
                .first()
                .map(|n| n.trim_start_matches('/').to_owned())
                .unwrap_or_else(|| c.id.chars().take(12).collect());
            ContainerStatus {
                name,
                image: c.image,
                state: c.state,
                status: c.status.filter(|s| !s.is_empty()),
            }
        })
        .collect())
}

/// Splits a raw HTTP response into status code and body, undoing chunked
/// transfer encoding should the daemon use it.
pub fn parse_http_response(raw: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers in response")?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| "headers are not UTF-8")?;
    let body = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_ascii_whitespace().nth(1))
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or("malformed status line")?;
    let chunked = lines.any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("transfer-encoding")
                && v.trim().eq_ignore_ascii_case("chunked")
        })
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok((status, body))
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(data.len());
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&data[..eol]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        data = data.get(size + 2..).ok_or("truncated chunk")?;
    }
}

async fn fetch(socket: &Path) -> Result<Vec<ContainerStatus>, String> {
    let mut stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", socket.display()))?;
    stream
        .write_all(b"GET /containers/json?all=1 HTTP/1.0\r\nHost: docker\r\n\r\n")
        .await
        .map_err(|e| format!("cannot write request: {e}"))?;
    let mut raw = Vec::with_capacity(16 * 1024);
    (&mut stream)
        .take(MAX_RESPONSE)
        .read_to_end(&mut raw)
        .await
        .map_err(|e| format!("cannot read response: {e}"))?;
    let (status, body) = parse_http_response(&raw)?;
    if status != 200 {
        return Err(format!(
            "Docker answered {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
    }
    parse_containers(&body).map_err(|e| format!("unexpected container list: {e}"))
}

/// Reports containers while the socket exists; warns once per outage.
#[derive(Debug)]
pub struct DockerCollector {
    socket: PathBuf,
    failing: bool,
}

impl DockerCollector {
    pub fn new(socket: PathBuf) -> DockerCollector {
        DockerCollector {
            socket,
            failing: false,
        }
    }

    /// `None` (field left out) where there is no Docker to ask.
    pub async fn collect(&mut self) -> Option<Vec<ContainerStatus>> {
        if !self.socket.exists() {
            return None;
        }
        let result = tokio::time::timeout(TIMEOUT, fetch(&self.socket))
            .await
            .unwrap_or_else(|_| Err("Docker did not answer in time".to_owned()));
        match result {
            Ok(list) => {
                self.failing = false;
                Some(list)
            }
            Err(e) => {
                if !self.failing {
                    tracing::warn!("cannot list Docker containers: {e}");
                }
                self.failing = true;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTAINERS: &[u8] = include_bytes!("../../tests/fixtures/docker-containers.json");

    #[test]
    fn parses_the_container_list() {
        let list = parse_containers(CONTAINERS).unwrap();
        assert_eq!(
            list,
            [
                ContainerStatus {
                    name: "nginx".into(),
                    image: "nginx:1.27".into(),
                    state: "running".into(),
                    status: Some("Up 3 hours".into()),
                },
                ContainerStatus {
                    name: "backup".into(),
                    image: "restic/restic".into(),
                    state: "exited".into(),
                    status: Some("Exited (0) 2 days ago".into()),
                },
                ContainerStatus {
                    name: "4a5b6c7d8e9f".into(),
                    image: "busybox".into(),
                    state: "created".into(),
                    status: None,
                },
            ]
        );
    }

    #[test]
    fn plain_and_chunked_responses() {
        let plain = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[]";
        assert_eq!(parse_http_response(plain).unwrap(), (200, b"[]".to_vec()));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[{}\r\n1;x=y\r\n]\r\n0\r\n\r\n";
        assert_eq!(
            parse_http_response(chunked).unwrap(),
            (200, b"[{}]".to_vec())
        );
        let error = b"HTTP/1.0 500 Internal Server Error\r\n\r\n{\"message\":\"boom\"}";
        assert_eq!(parse_http_response(error).unwrap().0, 500);
        assert!(parse_http_response(b"HTTP/1.0 200 OK\r\n").is_err());
        assert!(
            parse_http_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[]")
                .is_err()
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn talks_to_a_fake_daemon_over_a_unix_socket() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("docker.sock");
        let listener = tokio::net::UnixListener::bind(&socket).unwrap();
        let server = tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut request = vec![0u8; 1024];
            let n = conn.read(&mut request).await.unwrap();
            assert!(request[..n].starts_with(b"GET /containers/json?all=1 HTTP/1.0\r\n"));
            conn.write_all(b"HTTP/1.0 200 OK\r\n\r\n").await.unwrap();
            conn.write_all(CONTAINERS).await.unwrap();
        });
        let mut collector = DockerCollector::new(socket);
        let list = collector.collect().await.unwrap();
        assert_eq!(list.len(), 3);
        server.await.unwrap();
        let mut absent = DockerCollector::new(dir.path().join("missing.sock"));
        assert_eq!(absent.collect().await, None);
    }
}
