package dev.kiln.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The one polling wait of the tests: returns once its condition holds, and fails saying what it waited for. */
class TestTimeTest {
  @Test
  void awaitReturnsOnceTheConditionHolds() {
    AtomicInteger polls = new AtomicInteger();
    TestTime.await("the third poll", () -> polls.incrementAndGet() == 3, Duration.ofMinutes(1));
    assertThat(polls).hasValue(3);
  }

  @Test
  void awaitFailsNamingWhatItWaitedFor() {
    assertThatThrownBy(() -> TestTime.await("the moon turns blue", () -> false, Duration.ofMillis(30)))
        .isInstanceOf(AssertionError.class).hasMessageContaining("waiting until the moon turns blue");
  }
}
