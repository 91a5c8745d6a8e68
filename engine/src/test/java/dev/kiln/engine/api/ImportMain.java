package dev.kiln.engine.api;

import java.nio.file.Path;
import java.util.Map;

/**
 * A process that imports one CAR into an empty database and says what it got:
 * {@code ImportMain <data-dir> <file.car>} prints {@code IMPORTED <root> <documents>}, or fails
 * with exit code 1. {@link BoundedImportTest} runs it with a heap smaller than the file.
 */
public final class ImportMain {
  private ImportMain() {}

  public static void main(String[] args) {
    Kiln kiln = Kiln.start(KilnTestSupport.config(Path.of(args[0]), Map.of("kiln.block-cache-bytes", "4MiB",
        "kiln.ask-timeout", "30m")));
    int status = 1;
    try {
      Database db = kiln.open("copy");
      var imported = db.importCar(Path.of(args[1])).toCompletableFuture().join();
      System.out.println("IMPORTED " + imported.root() + " " + imported.documents());
      status = 0;
    } catch (RuntimeException | OutOfMemoryError e) {
      e.printStackTrace();
    } finally {
      kiln.close();
    }
    System.exit(status);
  }
}
