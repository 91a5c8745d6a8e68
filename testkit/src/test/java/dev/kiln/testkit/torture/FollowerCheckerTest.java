package dev.kiln.testkit.torture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.testkit.torture.FollowerChecker.Received;
import dev.kiln.testkit.torture.FollowerChecker.Write;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The follower rules pass a correct feed and name each way a feed can be wrong. */
class FollowerCheckerTest {
  static final List<Write> WRITES = List.of(
      new Write(1, "a", false, 10), new Write(2, "b", false, 20), new Write(3, "a", false, 30),
      new Write(4, "b", true, 0), new Write(5, "c", false, 50));

  private static List<String> kinds(long since, Received... received) {
    return FollowerChecker.check(since, WRITES, List.of(received)).stream().map(Anomaly::kind).toList();
  }

  @Test
  void aCompleteFeedPassesAlsoWhenItSkipsSupersededWrites() {
    assertThat(kinds(0, new Received(1, "a", false, 10), new Received(2, "b", false, 20), new Received(3, "a", false, 30),
        new Received(4, "b", true, 0), new Received(5, "c", false, 50))).isEmpty();
    assertThat(kinds(1, new Received(3, "a", false, 30), new Received(4, "b", true, 0), new Received(5, "c", false, 50)))
        .isEmpty();
  }

  @Test
  void duplicatesDisorderPhantomsWrongValuesAndGapsAreNamed() {
    assertThat(kinds(2, new Received(3, "a", false, 30), new Received(3, "a", false, 30), new Received(4, "b", true, 0),
        new Received(5, "c", false, 50))).containsExactly("unordered changes");
    assertThat(kinds(2, new Received(4, "b", true, 0), new Received(3, "a", false, 30), new Received(5, "c", false, 50)))
        .containsExactly("unordered changes");
    assertThat(kinds(2, new Received(3, "a", false, 30), new Received(4, "x", true, 0), new Received(5, "c", false, 50)))
        .containsExactly("phantom change", "gap in changes");
    assertThat(kinds(2, new Received(3, "a", false, 31), new Received(4, "b", true, 0), new Received(5, "c", false, 50)))
        .containsExactly("wrong seq in changes");
    assertThat(kinds(2, new Received(3, "a", false, 30), new Received(5, "c", false, 50)))
        .containsExactly("gap in changes");
    assertThat(kinds(0, new Received(2, "b", false, 20), new Received(3, "a", false, 30), new Received(5, "c", false, 50)))
        .containsExactly("gap in changes");
  }
}
