//! Builds heartbeats from one source module per kind of metric. The
//! [`Collector`] lives as long as the agent, so per-tick work is limited to
//! re-reading counters: CPU usage is measured between ticks, buffers are
//! reused, and slow sources (apt) report from a background task.

pub mod cpu;
pub mod disk;
pub mod docker;
pub mod memory;
pub mod network;
pub mod os;
pub mod packages;
pub mod services;

use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{SubsecRound, Utc};
use homelabcmd_protocol::heartbeat::{CpuInfo, HeartbeatRequest, MetricsPayload, OsInfo};
use sysinfo::System;
use tokio::sync::mpsc;

use crate::config::Config;
use packages::PackageReport;

/// At most 20 chars on the wire.
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");
/// This agent never executes commands: every action goes hub → SSH.
const AGENT_MODE: &str = "readonly";

pub struct Collector {
    server_id: String,
    server_guid: String,
    system: System,
    disks: disk::DiskCollector,
    network: network::NetworkCollector,
    services: services::ServiceCollector,
    docker: Option<docker::DockerCollector>,
    package_updates: mpsc::Receiver<Option<PackageReport>>,
    packages: Option<PackageReport>,
    // Lent to each heartbeat and taken back by `recycle`, so static facts
    // are not re-allocated every tick.
    os_info: Option<OsInfo>,
    cpu_info: Option<CpuInfo>,
}

impl Collector {
    /// Takes the first CPU reading; the first heartbeat should follow no
    /// sooner than [`sysinfo::MINIMUM_CPU_UPDATE_INTERVAL`] later.
    pub fn new(config: &Config, server_guid: String) -> Result<Collector> {
        let mut system = System::new().context("cannot read system information from /proc")?;
        let _ = cpu::usage_since_last_call(&mut system);
        let cpu_info = cpu::info(&system);
        let cores = cpu_info.cpu_cores.unwrap_or(1) as usize;
        Ok(Collector {
            server_id: config.server_id.clone(),
            server_guid,
            system,
            disks: disk::DiskCollector::default(),
            network: network::NetworkCollector::default(),
            services: services::ServiceCollector::new(config.monitored_services.clone(), cores),
            docker: config
                .docker_socket
                .clone()
                .map(docker::DockerCollector::new),
            package_updates: match config.package_check_interval {
                Some(every) => packages::spawn_refresher(every),
                // A closed channel: never a report, never a wait.
                None => mpsc::channel(1).1,
            },
            packages: None,
            os_info: Some(os::os_info()),
            cpu_info: Some(cpu_info),
        })
    }

    /// Lets the first heartbeat carry package data when apt answers quickly.
    pub async fn wait_for_packages(&mut self, limit: Duration) {
        if self.packages.is_none()
            && let Ok(Some(report)) = tokio::time::timeout(limit, self.package_updates.recv()).await
        {
            self.packages = report;
        }
    }

    pub async fn collect(&mut self) -> HeartbeatRequest {
        // Microseconds, like the Python agent's timestamps.
        let timestamp = Utc::now().trunc_subsecs(6);
        // A failed check keeps the last good report: apt failing once does
        // not mean the updates went away.
        if let Ok(Some(report)) = self.package_updates.try_recv() {
            self.packages = Some(report);
        }
        let cpu_percent = cpu::usage_since_last_call(&mut self.system);
        let memory = memory::collect(&mut self.system);
        let load = cpu::load_average();
        let disks = self.disks.collect();
        let network = self.network.collect();
        let (services, containers) = tokio::join!(self.services.collect(), async {
            match &mut self.docker {
                Some(d) => d.collect().await,
                None => None,
            }
        });
        let root = disks.root;
        let metrics = MetricsPayload {
            reboot_required: Some(os::reboot_required()),
            cpu_percent,
            memory_percent: memory.map(|m| m.percent),
            memory_total_mb: memory.map(|m| m.total_mb),
            memory_used_mb: memory.map(|m| m.used_mb),
            disk_percent: root.map(|r| r.percent),
            disk_total_gb: root.map(|r| r.total_gb),
            disk_used_gb: root.map(|r| r.used_gb),
            network_rx_bytes: Some(disk::clamp_i64(network.rx_bytes)),
            network_tx_bytes: Some(disk::clamp_i64(network.tx_bytes)),
            load_1m: load.map(|l| l.0),
            load_5m: load.map(|l| l.1),
            load_15m: load.map(|l| l.2),
            uptime_seconds: os::uptime_seconds(),
        };
        let hostname = System::host_name().unwrap_or_else(|_| self.server_id.clone());
        HeartbeatRequest {
            server_guid: Some(self.server_guid.clone()),
            server_id: self.server_id.clone(),
            hostname,
            timestamp,
            agent_version: Some(AGENT_VERSION.to_owned()),
            agent_mode: Some(AGENT_MODE.to_owned()),
            os_info: self.os_info.take(),
            metrics: Some(metrics),
            updates_available: self.packages.as_ref().map(|p| p.updates_available),
            security_updates: self.packages.as_ref().map(|p| p.security_updates),
            services,
            packages: self
                .packages
                .as_mut()
                .map(|p| std::mem::take(&mut p.packages)),
            command_results: None,
            cpu_info: self.cpu_info.take(),
            filesystems: Some(disks.filesystems),
            network_interfaces: Some(network.interfaces),
            containers,
        }
    }

    /// Takes back what `collect` lent to the heartbeat.
    pub fn recycle(&mut self, heartbeat: HeartbeatRequest) {
        if self.os_info.is_none() {
            self.os_info = heartbeat.os_info;
        }
        if self.cpu_info.is_none() {
            self.cpu_info = heartbeat.cpu_info;
        }
        if let (Some(report), Some(list)) = (self.packages.as_mut(), heartbeat.packages)
            && report.packages.is_empty()
        {
            report.packages = list;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[tokio::test(flavor = "current_thread")]
    async fn a_live_heartbeat_round_trips_through_the_wire_type() {
        let env = |k: &str| match k {
            "HOMELAB_AGENT_PACKAGE_CHECK_INTERVAL" | "HOMELAB_AGENT_DOCKER_SOCKET" => {
                Some(if k.ends_with("INTERVAL") { "0" } else { "" }.to_owned())
            }
            "HOMELAB_AGENT_MONITORED_SERVICES" => Some("ssh,cron".to_owned()),
            _ => None,
        };
        let config = Config::load(Some(Path::new("/dev/null")), &env, "Test-Host").unwrap();
        let guid = "4f8e2a1c-7b3d-4e9a-8c1f-2d5b6a7e9f01".to_owned();
        let mut collector = Collector::new(&config, guid.clone()).unwrap();
        collector.wait_for_packages(Duration::from_secs(1)).await;
        tokio::time::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL).await;

        let hb = collector.collect().await;
        let wire = serde_json::to_vec(&hb).unwrap();
        let back: HeartbeatRequest = serde_json::from_slice(&wire).unwrap();
        assert_eq!(back, hb);
        assert_eq!(hb.server_id, "test-host");
        assert_eq!(hb.server_guid.as_deref(), Some(guid.as_str()));
        assert!(!hb.hostname.is_empty());
        let m = hb.metrics.as_ref().unwrap();
        assert!(m.cpu_percent.is_some() && m.memory_percent.is_some());
        assert!(m.disk_percent.is_some() && m.uptime_seconds.is_some());
        assert!(!hb.filesystems.as_ref().unwrap().is_empty());
        assert_eq!(hb.services.as_ref().map(Vec::len), Some(2));
        assert_eq!(hb.updates_available, None, "apt check is off");
        assert!(hb.containers.is_none(), "Docker is off");

        // Static facts lent to one heartbeat come back for the next.
        collector.recycle(hb);
        let next = collector.collect().await;
        assert!(next.os_info.is_some() && next.cpu_info.is_some());
        assert!(next.timestamp >= back.timestamp);
    }
}
