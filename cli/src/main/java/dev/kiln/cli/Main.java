package dev.kiln.cli;

import dev.kiln.cli.client.QuickCommand;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.SequenceInputStream;
import java.nio.charset.Charset;

/**
 * The {@code kiln} command's entry point: a common database command goes to a running server by the
 * {@link QuickCommand quick path}, which loads almost nothing; everything else, and whatever the quick
 * path leaves, runs through {@link KilnCli} (picocli, the engine). Both print the same.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    InputStream recorded = new FilterInputStream(System.in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          read.write(b);
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
          read.write(b, off, n);
        }
        return n;
      }
    };
    int status = QuickCommand.run(args, recorded, writer(System.out, "sun.stdout.encoding"),
        writer(System.err, "sun.stderr.encoding"));
    if (status == QuickCommand.DEFER) {
      // what the quick path read of stdin (a document, with put -) is read again by the full command line
      status = KilnCli.commandLine(new SequenceInputStream(new ByteArrayInputStream(read.toByteArray()), System.in))
          .execute(args);
    }
    System.exit(status);
  }

  /** A writer on {@code stream} in the encoding picocli's own writers use, so both paths print the same bytes. */
  private static PrintWriter writer(PrintStream stream, String encodingProperty) {
    String name = System.getProperty(encodingProperty);
    Charset charset = name != null && Charset.isSupported(name) ? Charset.forName(name) : Charset.defaultCharset();
    return new PrintWriter(new OutputStreamWriter(stream, charset));
  }
}
