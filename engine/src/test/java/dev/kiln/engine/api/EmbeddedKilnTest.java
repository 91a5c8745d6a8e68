package dev.kiln.engine.api;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A test with its own Kiln on the embedded defaults, in a fresh directory, closed after each test. */
abstract class EmbeddedKilnTest {
  @TempDir Path dir;
  Kiln kiln;

  @BeforeEach
  void startKiln() {
    kiln = KilnTestSupport.start(dir);
  }

  @AfterEach
  void stopKiln() {
    kiln.close();
  }
}
