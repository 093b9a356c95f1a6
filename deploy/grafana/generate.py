#!/usr/bin/env python3
"""Writes the Grafana dashboards of deploy/grafana (run it after changing a panel; the JSON files are committed).

Every query selects {namespace=~"$namespace", pod=~"$pod"}: the labels a Kubernetes pod scrape gives each series
(deploy/k8s/README.md). tests/Integration.Tests/MetricsScrapeTests.cs fails when a query names a metric that a live
node does not export.
"""
import json, os

SEL = 'namespace=~"$namespace", pod=~"$pod"'


def variables():
    return {"list": [
        {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus", "current": {}, "hide": 0},
        {"name": "namespace", "label": "Namespace", "type": "query", "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "query": "label_values(rtmfp_session_open, namespace)", "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*",
         "current": {"text": "All", "value": "$__all"}, "hide": 0},
        {"name": "pod", "label": "Pod", "type": "query", "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "query": 'label_values(rtmfp_session_open{namespace=~"$namespace"}, pod)', "refresh": 2, "includeAll": True, "multi": True,
         "allValue": ".*", "current": {"text": "All", "value": "$__all"}, "hide": 0},
    ]}


def panel(pid, title, unit, targets, x, y, w=12, h=8, kind="timeseries"):
    return {
        "id": pid, "type": kind, "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": chr(65 + i), "expr": e.replace("SEL", SEL), "legendFormat": l} for i, (e, l) in enumerate(targets)],
    }


def layout(panels):
    out = []
    for i, (title, unit, targets) in enumerate(panels):
        out.append(panel(i + 1, title, unit, targets, (i % 2) * 12, (i // 2) * 8))
    return out


def dashboard(uid, title, panels):
    return {
        "title": title, "uid": uid, "schemaVersion": 39, "version": 2, "refresh": "10s", "editable": True,
        "tags": ["rtmfp"], "time": {"from": "now-1h", "to": "now"},
        "templating": variables(), "annotations": {"list": []}, "panels": layout(panels),
    }


DASHBOARDS = {
    "rtmfp-overview": ("RTMFP overview", [
        ("Open sessions", "short", [("sum by (pod) (rtmfp_session_open{SEL})", "{{pod}}")]),
        ("Handshakes / s", "ops", [("sum(rate(rtmfp_handshake_completed_total{SEL}[1m]))", "completed"),
                                   ("sum by (error_type) (rate(rtmfp_handshake_rejected_total{SEL}[1m]))", "rejected {{error_type}}")]),
        ("Gateway throughput", "Bps", [("sum by (network_io_direction) (rate(rtmfp_gateway_io_bytes_total{SEL}[1m]))", "{{network_io_direction}}")]),
        ("Streams, publishers, players", "short", [("sum(rtmfp_stream_active{SEL})", "streams"), ("sum(rtmfp_stream_publishers{SEL})", "publishers"),
                                                   ("sum(rtmfp_stream_players{SEL})", "players")]),
        ("Cluster members up", "short", [('max(rtmfp_cluster_members{akka_member_status="up", SEL})', "up"),
                                         ("max(rtmfp_cluster_unreachable{SEL})", "unreachable")]),
        ("Handler failures / s (0 unless there is a bug)", "ops", [("sum by (where) (rate(rtmfp_handler_failures_total{SEL}[5m]))", "{{where}}")]),
    ]),
    "rtmfp-gateway": ("RTMFP gateway", [
        ("Datagrams / s", "pps", [("sum by (pod, network_io_direction) (rate(rtmfp_gateway_packets_total{SEL}[1m]))", "{{pod}} {{network_io_direction}}")]),
        ("Bytes / s", "Bps", [("sum by (pod, network_io_direction) (rate(rtmfp_gateway_io_bytes_total{SEL}[1m]))", "{{pod}} {{network_io_direction}}")]),
        ("Dropped datagrams / s by reason", "pps", [("sum by (error_type) (rate(rtmfp_gateway_packets_dropped_total{SEL}[1m]))", "{{error_type}}")]),
        ("Key cache misses / s", "pps", [("sum by (pod) (rate(rtmfp_gateway_key_cache_misses_total{SEL}[1m]))", "{{pod}}")]),
        ("Handshakes / s", "ops", [("sum(rate(rtmfp_handshake_started_total{SEL}[1m]))", "started (RHello)"),
                                   ("sum(rate(rtmfp_handshake_completed_total{SEL}[1m]))", "completed"),
                                   ("sum(rate(rtmfp_handshake_retried_total{SEL}[1m]))", "retried")]),
        ("Rejected handshakes / s by reason", "ops", [("sum by (error_type) (rate(rtmfp_handshake_rejected_total{SEL}[1m]))", "{{error_type}}")]),
        ("Handshake duration quantiles", "s", [("histogram_quantile(0.5, sum by (le) (rate(rtmfp_handshake_duration_seconds_bucket{SEL}[5m])))", "p50"),
                                               ("histogram_quantile(0.99, sum by (le) (rate(rtmfp_handshake_duration_seconds_bucket{SEL}[5m])))", "p99")]),
        ("Sessions lost / s (their node died)", "ops", [("sum(rate(rtmfp_session_lost_total{SEL}[5m]))", "lost")]),
    ]),
    "rtmfp-sessions-streams": ("RTMFP sessions and streams", [
        ("Open sessions", "short", [("sum by (pod) (rtmfp_session_open{SEL})", "{{pod}}")]),
        ("Smoothed RTT quantiles", "s", [("histogram_quantile(0.5, sum by (le) (rate(rtmfp_session_rtt_seconds_bucket{SEL}[5m])))", "p50"),
                                         ("histogram_quantile(0.95, sum by (le) (rate(rtmfp_session_rtt_seconds_bucket{SEL}[5m])))", "p95")]),
        ("Retransmitted fragments / s", "ops", [("sum by (pod) (rate(rtmfp_session_retransmissions_total{SEL}[1m]))", "{{pod}}")]),
        ("Replayed datagrams / s", "pps", [('sum(rate(rtmfp_gateway_packets_dropped_total{error_type="replayed", SEL}[1m]))', "replayed")]),
        ("Flash connects / s", "ops", [("sum by (rtmfp_outcome) (rate(rtmfp_flash_connects_total{SEL}[1m]))", "{{rtmfp_outcome}}")]),
        ("Streams", "short", [("sum by (pod) (rtmfp_stream_active{SEL})", "{{pod}}")]),
        ("Publishers and players", "short", [("sum(rtmfp_stream_publishers{SEL})", "publishers"), ("sum(rtmfp_stream_players{SEL})", "players")]),
        ("Relayed media", "Bps", [("sum by (pod) (rate(rtmfp_stream_relayed_bytes_total{SEL}[1m]))", "{{pod}}")]),
        ("Media dropped by the fan-out (node behind) / s", "ops", [("sum by (pod, error_type) (rate(rtmfp_stream_media_dropped_total{SEL}[1m]))", "{{pod}} {{error_type}}")]),
    ]),
    "rtmfp-groups": ("RTMFP groups", [
        ("NetGroups", "short", [("sum by (pod) (rtmfp_group_active{SEL})", "{{pod}}")]),
        ("Group members", "short", [("sum by (pod) (rtmfp_group_members{SEL})", "{{pod}}")]),
        ("Introductions / s", "ops", [("sum by (pod) (rate(rtmfp_group_introductions_total{SEL}[1m]))", "{{pod}}")]),
        ("Group entities", "short", [('sum by (pod) (rtmfp_sharding_entities{akka_shard_region="group", SEL})', "{{pod}}")]),
    ]),
    "rtmfp-cluster": ("RTMFP cluster", [
        ("Members by status (as each node sees them)", "short", [("max by (akka_member_status) (rtmfp_cluster_members{SEL})", "{{akka_member_status}}")]),
        ("Unreachable members", "short", [("max by (pod) (rtmfp_cluster_unreachable{SEL})", "{{pod}}")]),
        ("Entities by region", "short", [("sum by (akka_shard_region) (rtmfp_sharding_entities{SEL})", "{{akka_shard_region}}")]),
        ("Entities by pod", "short", [("sum by (pod) (rtmfp_sharding_entities{SEL})", "{{pod}}")]),
        ("Shards by pod", "short", [("sum by (pod) (rtmfp_sharding_shards{SEL})", "{{pod}}")]),
        ("GC collections / s", "ops", [("sum by (pod) (rate(dotnet_gc_collections_total{SEL}[1m]))", "{{pod}}")]),
        ("CPU", "percentunit", [("sum by (pod) (rate(dotnet_process_cpu_time_seconds_total{SEL}[1m]))", "{{pod}}")]),
        ("Thread pool queue", "short", [("sum by (pod) (dotnet_thread_pool_queue_length_total{SEL})", "{{pod}}")]),
    ]),
}

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for uid, (title, panels) in DASHBOARDS.items():
        with open(os.path.join(here, uid + ".json"), "w") as f:
            json.dump(dashboard(uid, title, panels), f, indent=2)
            f.write("\n")
