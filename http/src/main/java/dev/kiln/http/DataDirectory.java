package dev.kiln.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The databases of a data directory as the HTTP API and the command line list and remove them. */
public final class DataDirectory {
  private DataDirectory() {}

  /** Names of the databases in the data directory (a directory with a {@code cars} directory), sorted. */
  public static List<String> databases(Path dataDir) {
    return dev.kiln.engine.api.Kiln.databases(dataDir);
  }

  /** After a destroy, the name's empty directories go too, so it no longer lists or answers. */
  public static void removeEmpty(Path dataDir, String name) {
    try {
      Files.deleteIfExists(dataDir.resolve(name).resolve("cars"));
      Files.deleteIfExists(dataDir.resolve(name));
    } catch (DirectoryNotEmptyException e) {
      // a new write recreated it meanwhile: it stays
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
