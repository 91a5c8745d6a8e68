package dev.kiln.http;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** The server's own counters, rendered with the databases' statistics in Prometheus' text format. */
final class Metrics {
  /** Requests answered, by method and status. */
  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
  /** Latency by method: sum of seconds and count, Prometheus summary style. */
  private final Map<String, LongAdder> latencyNanos = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> latencyCount = new ConcurrentHashMap<>();
  final LongAdder writes = new LongAdder();
  final AtomicInteger liveFeeds = new AtomicInteger();
  /** Requests received and not answered yet. */
  final AtomicInteger inFlight = new AtomicInteger();

  void answered(String method, int status, long nanos) {
    requests.computeIfAbsent(method + "\u0000" + status, k -> new LongAdder()).increment();
    latencyNanos.computeIfAbsent(method, k -> new LongAdder()).add(nanos);
    latencyCount.computeIfAbsent(method, k -> new LongAdder()).increment();
  }

  void render(StringBuilder out) {
    out.append("# HELP kiln_http_requests_total HTTP requests answered.\n# TYPE kiln_http_requests_total counter\n");
    requests.forEach((k, v) -> {
      String[] parts = k.split("\u0000");
      out.append("kiln_http_requests_total{method=\"").append(parts[0]).append("\",status=\"").append(parts[1])
          .append("\"} ").append(v.sum()).append('\n');
    });
    out.append("# HELP kiln_http_request_seconds Time from a request's arrival to its response.\n"
        + "# TYPE kiln_http_request_seconds summary\n");
    latencyNanos.forEach((method, sum) -> {
      out.append("kiln_http_request_seconds_sum{method=\"").append(method).append("\"} ").append(sum.sum() / 1e9).append('\n');
      out.append("kiln_http_request_seconds_count{method=\"").append(method).append("\"} ")
          .append(latencyCount.get(method).sum()).append('\n');
    });
    gauge(out, "kiln_http_writes_total", "counter", "Documents written or deleted through HTTP.", writes.sum());
    gauge(out, "kiln_http_requests_in_flight", "gauge", "Requests received and not answered yet.", inFlight.get());
    gauge(out, "kiln_http_live_feeds", "gauge", "Live change feeds (Server-Sent Events) open now.", liveFeeds.get());
  }

  static void gauge(StringBuilder out, String name, String type, String help, long value) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    out.append(name).append(' ').append(value).append('\n');
  }
}
