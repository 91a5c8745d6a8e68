package dev.kiln.engine.actor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.engine.block.MissingBlockException;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.io.IOException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** What a caller is told for each kind of failure inside the engine. */
class ErrorsTest {
  @Test
  void storageThatIsAwayIsAStorageErrorNotABug() {
    assertThat(Errors.toKiln(new IOException("disk")).code()).isEqualTo(ErrorCode.STORAGE);
    assertThat(Errors.toKiln(new CompletionException(new SQLTransientConnectionException("no connection"))).code())
        .as("a driver's failure that no store wrapped").isEqualTo(ErrorCode.STORAGE);
  }

  @Test
  void typedErrorsPassThroughAndTheRestSayWhatTheyAre() {
    KilnException typed = new KilnException(ErrorCode.CONFLICT, "rev");
    assertThat(Errors.toKiln(new CompletionException(typed))).isSameAs(typed);
    assertThat(Errors.toKiln(new TimeoutException()).code()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(Errors.toKiln(new IllegalStateException("oops")).code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(Errors.toKiln(new IllegalStateException("oops")).getMessage()).contains("IllegalStateException", "oops");
  }

  @Test
  void aMissingBlockIsABugNeverAStorageError() {
    MissingBlockException missing = new MissingBlockException(dev.kiln.protocol.Cid.raw(new byte[] {1}), "a test");
    assertThat(Errors.toKiln(missing).code()).isEqualTo(ErrorCode.INTERNAL);
  }
}
