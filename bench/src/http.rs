//! A lean HTTP/1.1 keep-alive client: one TCP connection, one request at a
//! time, nothing else (no pool, no TLS), so the load generator spends as
//! little of the shared CPU as possible. Only loopback hubs are accepted:
//! benchmarks never send traffic off this machine.

use std::net::SocketAddr;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// `http://127.0.0.1:PORT[/]` → address; anything off-machine is refused.
pub fn parse_hub(url: &str) -> anyhow::Result<SocketAddr> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("hub URL must be http://127.0.0.1:PORT, got {url}"))?;
    let host_port = rest.trim_end_matches('/');
    let host_port = host_port.replace("localhost", "127.0.0.1");
    let addr: SocketAddr = host_port
        .parse()
        .with_context(|| format!("hub URL must be http://127.0.0.1:PORT, got {url}"))?;
    if !addr.ip().is_loopback() {
        bail!("benchmarks only talk to a hub on this machine (loopback), not {addr}");
    }
    Ok(addr)
}

pub struct Conn {
    addr: SocketAddr,
    host: String,
    api_key: String,
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    pub async fn connect(addr: SocketAddr, api_key: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self {
            addr,
            host: addr.to_string(),
            api_key: api_key.to_owned(),
            sender,
        })
    }

    /// A fresh connection to the same hub (after a transport error).
    pub async fn reconnect(&mut self) -> anyhow::Result<()> {
        *self = Self::connect(self.addr, &self.api_key).await?;
        Ok(())
    }

    pub async fn get(&mut self, path: &str) -> anyhow::Result<(StatusCode, Bytes)> {
        self.send(Method::GET, path, Bytes::new()).await
    }

    pub async fn post_json(
        &mut self,
        path: &str,
        body: Bytes,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        self.send(Method::POST, path, body).await
    }

    /// Send and read the whole response (so the connection can be reused).
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Bytes,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host)
            .header("x-api-key", &self.api_key);
        if !body.is_empty() {
            req = req.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        let req = req.body(Full::new(body))?;
        self.sender.ready().await?;
        let res = self.sender.send_request(req).await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hubs() {
        assert_eq!(
            parse_hub("http://127.0.0.1:8080/").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert!(parse_hub("http://localhost:9").is_ok());
        assert!(parse_hub("http://10.0.0.1:8080").is_err());
        assert!(parse_hub("https://127.0.0.1:1").is_err());
    }
}
