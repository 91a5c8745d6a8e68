package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine;

/** Runs the command line in-process against one data directory, with a given stdin. */
record CliRun(int status, String out, String err) {
  JsonNode json() throws Exception {
    return KilnCli.JSON.readTree(out);
  }

  static CliRun kiln(Path dataDir, String... args) {
    return withStdin(dataDir, new ByteArrayInputStream(new byte[0]), args);
  }

  static CliRun withStdin(Path dataDir, String stdin, String... args) {
    return withStdin(dataDir, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), args);
  }

  /** The same through the jar's quick path ({@link dev.kiln.cli.client.QuickCommand}); null when it defers. */
  static CliRun quick(Path dataDir, String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = dev.kiln.cli.client.QuickCommand.run(withDataDir(dataDir, args),
        new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), new PrintWriter(out), new PrintWriter(err));
    return status == dev.kiln.cli.client.QuickCommand.DEFER ? null : new CliRun(status, out.toString(), err.toString());
  }

  private static String[] withDataDir(Path dataDir, String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--data-dir";
    all[args.length + 1] = dataDir.toString();
    return all;
  }

  static CliRun withStdin(Path dataDir, InputStream stdin, String... args) {
    CommandLine cli = KilnCli.commandLine(stdin);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int status = cli.execute(withDataDir(dataDir, args));
    return new CliRun(status, out.toString(), err.toString());
  }
}
