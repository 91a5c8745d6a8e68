package dev.kiln.engine.actor;

import dev.kiln.engine.block.CorruptBlockException;
import dev.kiln.engine.block.DagCborException;
import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.engine.car.CarFormatException;
import dev.kiln.engine.car.CarStoreException;
import dev.kiln.engine.car.CarStoreFencedException;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.util.concurrent.TimeoutException;

/** Maps whatever failed inside the engine to the typed error a caller sees. */
public final class Errors {
  private Errors() {}

  /** The failure inside the wrappers that futures put around it. */
  public static Throwable unwrap(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  public static KilnException toKiln(Throwable t) {
    t = unwrap(t);
    if (t instanceof KilnException k) {
      return k;
    }
    String name = t.getClass().getSimpleName();
    if (t instanceof MissingBlockException) {
      return new KilnException(ErrorCode.INTERNAL, "bug: " + t.getMessage(), t);
    }
    if (t instanceof CorruptBlockException || t instanceof DagCborException || t instanceof CarFormatException) {
      return new KilnException(ErrorCode.CORRUPT, t.getMessage(), t);
    }
    if (t instanceof CarStoreFencedException f) {
      // Before the generic store failure: a fenced store refused before anything was committed.
      return new KilnException(ErrorCode.FENCED, "database " + f.db() + " moved to another owner (claimed again at"
          + " epoch " + f.current() + ", this node's claim is epoch " + f.epoch() + "), so nothing was stored here;"
          + " ask again to reach its new owner", t);
    }
    // a database driver's failure (PostgreSQL away, a pool with no connection) that no store wrapped
    if (t instanceof IOException || t instanceof UncheckedIOException || t instanceof CarStoreException
        || t instanceof SQLException) {
      return new KilnException(ErrorCode.STORAGE, "storage failed: " + t.getMessage(), t);
    }
    if (t instanceof TimeoutException) {
      return new KilnException(ErrorCode.TIMEOUT, "the read did not finish in time", t);
    }
    return new KilnException(ErrorCode.INTERNAL, "unexpected " + name + ": " + t.getMessage(), t);
  }
}
