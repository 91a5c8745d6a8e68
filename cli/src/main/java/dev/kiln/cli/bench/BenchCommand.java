package dev.kiln.cli.bench;

import dev.kiln.bench.workload.Workloads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kiln bench}: runs the whole-process workloads of {@code bench/}, each in a JVM of its own
 * on this command's classpath (as {@code bench/run-workloads.sh} does), with a progress bar on
 * stderr, then writes the report ({@link Report}) into {@code --out}.
 */
@Command(name = "bench", description = {
    "Run Kiln's whole-process workloads (bench/WORKLOADS.md), each in a JVM of its own, with a progress bar;",
    "write report.md (a table), results.csv (every figure), latency.svg and carlog.svg into --out",
    "(and each workload's stderr in logs/)."})
public final class BenchCommand implements Callable<Integer> {
  static final List<String> DEFAULT = List.of("sequential", "concurrent", "bulk", "get", "alldocs", "query", "compaction",
      "latency");
  /** A progress line of a workload: {@code [name] what d/total (p%), s}. */
  private static final Pattern PROGRESS = Pattern.compile("\\[(\\S+)] (.*?) (\\d+)/(\\d+) \\((\\d+)%\\)");
  private static final Pattern PHASE = Pattern.compile("\\[(\\S+)] (.*?)(?: \\(\\d+\\))? …$");
  private static final int BAR = 24;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--workloads", split = ",", paramLabel = "NAME[,NAME…]", description = "which workloads, in order "
      + "(default: sequential,concurrent,bulk,get,alldocs,query,compaction,latency; also heap, scale)")
  List<String> workloads = new ArrayList<>(DEFAULT);

  @Option(names = "--scale", paramLabel = "S", defaultValue = "0.1",
      description = "multiplies every document and operation count (default: ${DEFAULT-VALUE}; 1 is bench/WORKLOADS.md's size)")
  double scale;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = "kiln-bench", description = "where the report goes (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--tmp", paramLabel = "DIR", description = "where the workloads' data directories go (default: java.io.tmpdir)")
  Path tmp;

  @Override
  public Integer call() throws Exception {
    for (String w : workloads) {
      if (!Workloads.NAMES.contains(w) && !w.equals("scale")) {
        throw new CommandLine.ParameterException(spec.commandLine(), "unknown workload '" + w + "'; known: "
            + String.join(", ", Workloads.NAMES) + ", scale");
      }
    }
    if (!(scale > 0)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--scale must be more than 0, got " + scale);
    }
    PrintWriter err = spec.commandLine().getErr();
    Path seriesDir = out.resolve("series");
    Files.createDirectories(seriesDir);
    Path dataRoot = tmp != null ? tmp : Path.of(System.getProperty("java.io.tmpdir"));
    List<ResultLine> lines = new ArrayList<>();
    boolean failed = false;
    for (int i = 0; i < workloads.size(); i++) {
      String name = workloads.get(i);
      long started = System.nanoTime();
      ResultLine line = run(name, i, seriesDir, dataRoot, err);
      lines.add(line);
      failed |= !line.ran();
      err.printf(Locale.ROOT, "\r%-100s\r%s %s in %.1f s%n", "", line.ran() ? "done" : "FAILED", name,
          (System.nanoTime() - started) / 1e9);
      err.flush();
    }
    String command = "kiln bench --workloads " + String.join(",", workloads) + " --scale " + scale;
    for (Path p : Report.write(out, seriesDir, lines, command)) {
      spec.commandLine().getOut().println(p);
    }
    spec.commandLine().getOut().flush();
    return failed ? 1 : 0;
  }

  /** One workload in a JVM of its own: its result line (stdout), its progress (stderr) drawn as a bar. */
  private ResultLine run(String name, int index, Path seriesDir, Path dataRoot, PrintWriter err) throws IOException,
      InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path")));
    // Kiln settings given to this JVM (-Dkiln.…) go to the workload's too, as the script's JAVA_OPTS do
    System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("kiln.")).sorted()
        .forEach(k -> command.add("-D" + k + "=" + System.getProperty(k)));
    command.addAll(List.of(Workloads.class.getName(), "--scale", Double.toString(scale), "--tmp", dataRoot.toString(),
        "--series", seriesDir.toString(), name));
    Process p = new ProcessBuilder(command).start();
    p.getOutputStream().close();
    Path log = out.resolve("logs").resolve(name + ".log");
    Files.createDirectories(log.getParent());
    Thread progress = new Thread(() -> drawProgress(p, name, index, err, log), "bench-progress-" + name);
    progress.setDaemon(true);
    progress.start();
    List<String> stdout = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String l = r.readLine(); l != null; l = r.readLine()) {
        stdout.add(l);
      }
    }
    int status = p.waitFor();
    progress.join();
    String result = stdout.stream().filter(l -> l.startsWith(name + " ")).reduce((a, b) -> b)
        .orElse(String.format(Locale.ROOT, "%-11s FAILED: exit status %d, no result line", name, status));
    return ResultLine.parse(result);
  }

  /** Draws the bar from the workload's progress lines; keeps all of its stderr in {@code log} (a failure's trace too). */
  private void drawProgress(Process p, String name, int index, PrintWriter err, Path log) {
    String phase = "starting";
    double fraction = 0;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
         java.io.Writer keep = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      for (String l = r.readLine(); l != null; l = r.readLine()) {
        keep.write(l);
        keep.write('\n');
        Matcher m = PROGRESS.matcher(l);
        Matcher start = PHASE.matcher(l);
        if (m.find()) {
          phase = m.group(2);
          fraction = Long.parseLong(m.group(3)) / (double) Math.max(1, Long.parseLong(m.group(4)));
        } else if (start.find()) {
          phase = start.group(2);
          fraction = 0;
        } else {
          continue; // the workload's logging and other detail stay out of the bar
        }
        double overall = (index + fraction) / workloads.size();
        int filled = (int) Math.round(overall * BAR);
        String text = String.format(Locale.ROOT, "[%s%s] %3.0f%% %d/%d %s: %s", "#".repeat(filled), "-".repeat(BAR - filled),
            overall * 100, index + 1, workloads.size(), name, phase);
        synchronized (err) {
          err.print("\r" + String.format(Locale.ROOT, "%-100.100s", text));
          err.flush();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
