package dev.kiln.testkit.node;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code kiln serve} process (any command whose first line on stdout is {@code kiln: serving URL …}):
 * started with its stderr appended to a file, its address read from that line, the rest of its
 * stdout drained so it never blocks on a full pipe.
 */
public record ServedProcess(Process process, String url) {
  private static final String SERVING = "kiln: serving ";

  /** Starts {@code command} and waits for its address; fails with the head of its log when it does not serve. */
  public static ServedProcess start(List<String> command, Path stderr) throws IOException {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile())).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (line == null || !line.startsWith(SERVING)) {
      p.destroyForcibly();
      throw new IllegalStateException("the process did not start serving: " + line + "; its log " + stderr + ":\n"
          + String.join("\n", Files.readAllLines(stderr).stream().filter(l -> !l.contains("Upstream failed"))
              .limit(80).toList()));
    }
    String url = line.substring(SERVING.length(), line.indexOf(' ', SERVING.length()));
    Thread drain = new Thread(() -> {
      try {
        while (out.readLine() != null) {
          // keep the pipe open and empty
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, "drain-" + p.pid());
    drain.setDaemon(true);
    drain.start();
    return new ServedProcess(p, url);
  }

  /** Kills every process still alive (SIGKILL: a node under test owes no clean stop) and waits for each. */
  public static void killAll(Process... processes) throws InterruptedException {
    for (Process p : processes) {
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
