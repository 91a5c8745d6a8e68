package dev.kiln.cli;

import dev.kiln.engine.api.Kiln;
import java.nio.file.Path;

/**
 * A child JVM that keeps a data directory in use the way a running {@code kiln} command does (Kiln
 * started on it, as {@link KilnCli} starts it, with a database open) until its stdin is closed,
 * then closes Kiln and exits; or until it is killed.
 *
 * <pre>HoldDataDir DATA_DIR    prints "HOLDING pid" once the directory is in use</pre>
 */
public final class HoldDataDir {
  private HoldDataDir() {}

  public static void main(String[] args) throws Exception {
    org.slf4j.LoggerFactory.getILoggerFactory();
    KilnCli.DataDir dataDir = new KilnCli.DataDir();
    dataDir.dataDir = Path.of(args[0]);
    try (Kiln kiln = Kiln.start(dataDir.config())) {
      kiln.open("notes");
      System.out.println("HOLDING " + ProcessHandle.current().pid());
      System.out.flush();
      while (System.in.read() >= 0) {
        // hold until the parent closes our stdin
      }
    }
  }
}
