package dev.kiln.cli.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The files {@code kiln bench} writes: {@code report.md} (a table of every workload, the machine,
 * the plots), {@code results.csv} (one row per figure) and the SVG plots from the workloads' time
 * series: {@code latency.svg} (each put's latency over time, without and while compacting) and
 * {@code carlog.svg} (the CarLog length over time while sequential puts run with auto-compaction).
 */
final class Report {
  static final String MARKDOWN = "report.md";
  static final String CSV = "results.csv";
  static final String LATENCY_SVG = "latency.svg";
  static final String CARLOG_SVG = "carlog.svg";

  private Report() {}

  /** Writes the report into {@code out}; the workloads' series are in {@code seriesDir}. Answers the files written. */
  static List<Path> write(Path out, Path seriesDir, List<ResultLine> lines, String command) throws IOException {
    Files.createDirectories(out);
    List<Path> written = new ArrayList<>();
    written.add(Files.writeString(out.resolve(CSV), csv(lines), StandardCharsets.UTF_8));
    List<String> plots = new ArrayList<>();
    Path latency = seriesDir.resolve("latency.csv");
    if (Files.exists(latency)) {
      written.add(Files.writeString(out.resolve(LATENCY_SVG), latencyChart(readCsv(latency)), StandardCharsets.UTF_8));
      plots.add(LATENCY_SVG);
    }
    Path carlog = seriesDir.resolve("carlog.csv");
    if (Files.exists(carlog)) {
      written.add(Files.writeString(out.resolve(CARLOG_SVG), carLogChart(readCsv(carlog)), StandardCharsets.UTF_8));
      plots.add(CARLOG_SVG);
    }
    written.add(0, Files.writeString(out.resolve(MARKDOWN), markdown(lines, plots, command), StandardCharsets.UTF_8));
    return written;
  }

  // ------------------------------------------------------------------ CSV

  static String csv(List<ResultLine> lines) {
    StringBuilder out = new StringBuilder("workload,section,key,value,unit,text,target,verdict\n");
    for (ResultLine line : lines) {
      for (ResultLine.Figure f : line.figures()) {
        out.append(String.join(",", field(line.workload()), field(f.section()), field(f.key()),
            Double.isNaN(f.value()) ? "" : String.valueOf(f.value()), field(f.unit()), field(f.text()), field(f.target()),
            field(f.verdict()))).append('\n');
      }
    }
    return out.toString();
  }

  private static String field(String s) {
    return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }

  /** A series file: header, then rows of plain values (no quoting: the workloads write numbers and words). */
  static List<Map<String, String>> readCsv(Path file) throws IOException {
    List<String> rows = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<Map<String, String>> out = new ArrayList<>();
    if (rows.isEmpty()) {
      return out;
    }
    String[] header = rows.get(0).split(",");
    for (String row : rows.subList(1, rows.size())) {
      String[] cells = row.split(",", -1);
      Map<String, String> m = new LinkedHashMap<>();
      for (int i = 0; i < header.length && i < cells.length; i++) {
        m.put(header[i], cells[i]);
      }
      out.add(m);
    }
    return out;
  }

  // ------------------------------------------------------------------ plots

  static String latencyChart(List<Map<String, String>> rows) {
    SvgChart chart = new SvgChart("Write latency over time (latency workload, 4 writers)", "time (s)", "put latency (ms)");
    for (String[] phase : new String[][] {{"quiet", "without compaction"}, {"compacting", "while compacting in a loop"}}) {
      List<Map<String, String>> of = rows.stream().filter(r -> phase[0].equals(r.get("phase"))).toList();
      chart.add(new SvgChart.Series(phase[0], phase[1], false,
          of.stream().mapToDouble(r -> Double.parseDouble(r.get("t_ms")) / 1000).toArray(),
          of.stream().mapToDouble(r -> Double.parseDouble(r.get("latency_ms"))).toArray()));
    }
    return chart.render();
  }

  static String carLogChart(List<Map<String, String>> rows) {
    return new SvgChart("CarLog length over time (sequential puts, auto-compaction on)", "time (s)", "CARs in the CarLog")
        .add(new SvgChart.Series("carlog", "CarLog length", true,
            rows.stream().mapToDouble(r -> Double.parseDouble(r.get("t_ms")) / 1000).toArray(),
            rows.stream().mapToDouble(r -> Double.parseDouble(r.get("carlog_length"))).toArray()))
        .render();
  }

  // ------------------------------------------------------------------ Markdown

  static String markdown(List<ResultLine> lines, List<String> plots, String command) {
    StringBuilder md = new StringBuilder("# Kiln benchmark report\n\n");
    md.append(machine()).append("\n\nMade with `").append(command).append("`. Each workload ran in a JVM of its own; ")
        .append("ratios compare with a baseline measured in the same run (see bench/WORKLOADS.md).\n\n");
    md.append("| workload | figures | baseline | ratio (target) |\n| --- | --- | --- | --- |\n");
    for (ResultLine line : lines) {
      if (!line.ran()) {
        md.append("| ").append(line.workload()).append(" | ").append(cell(line.text())).append(" | | |\n");
        continue;
      }
      String figures = line.figures().stream().filter(f -> f.section().isEmpty()).map(Report::figure)
          .collect(Collectors.joining(", "));
      String baseline = line.figures().stream().filter(f -> f.section().startsWith("baseline"))
          .map(f -> f.section().substring("baseline".length()).strip() + ": " + figure(f)).collect(Collectors.joining("; "));
      String ratio = line.figures().stream().filter(f -> f.section().startsWith("ratio")).map(f -> figure(f)
          + (f.target().isEmpty() ? "" : " (" + f.target() + " " + f.verdict() + ")")).collect(Collectors.joining(", "));
      String other = line.figures().stream().filter(f -> !f.section().isEmpty() && !f.section().startsWith("ratio")
          && !f.section().startsWith("baseline")).map(f -> f.section() + " " + figure(f)).collect(Collectors.joining(", "));
      md.append("| ").append(line.workload()).append(" | ").append(cell(figures + (other.isEmpty() ? "" : "; " + other)))
          .append(" | ").append(cell(baseline)).append(" | ").append(cell(ratio)).append(" |\n");
    }
    if (!plots.isEmpty()) {
      md.append("\n## Plots\n\n");
      for (String plot : plots) {
        md.append("![").append(plot).append("](").append(plot).append(")\n\n");
      }
    }
    md.append("\n## Result lines\n\n```\n");
    lines.forEach(l -> md.append(l.text()).append('\n'));
    md.append("```\n");
    return md.toString();
  }

  private static String figure(ResultLine.Figure f) {
    return f.key() + "=" + f.text();
  }

  private static String cell(String s) {
    return s.replace("|", "\\|");
  }

  /** Cores, memory, JDK, OS and the date, for the report's reader to judge the figures by. */
  static String machine() {
    long memory = 0;
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      memory = os.getTotalMemorySize();
    }
    return String.format(Locale.ROOT, "Machine: %d cores, %.1f GiB memory, JDK %s (%s), %s %s; load average %s; %s UTC.",
        Runtime.getRuntime().availableProcessors(), memory / (1024.0 * 1024 * 1024), System.getProperty("java.version"),
        System.getProperty("java.vm.name"), System.getProperty("os.name"), System.getProperty("os.arch"),
        String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()),
        ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")));
  }
}
