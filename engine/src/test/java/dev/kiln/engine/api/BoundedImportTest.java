package dev.kiln.engine.api;

import static dev.kiln.engine.api.KilnTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.DatabaseProtocol.DatabaseStats;
import dev.kiln.protocol.DatabaseProtocol.Exported;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An import reads the CAR as a stream and keeps no block's bytes: a process whose heap is less than
 * half the file ({@link ImportMain} with {@code -Xmx}{@value #HEAP_MB}m) imports an export of more
 * than {@value #CAR_MB} MB, and gets the exporter's head CID and documents. Loading the whole file
 * into memory, as the import did before, fails there with an OutOfMemoryError.
 */
class BoundedImportTest extends EmbeddedKilnTest {
  static final int HEAP_MB = 48;
  static final int CAR_MB = 100;

  @Test
  void aCarLargerThanTheHeapIsImportedInBoundedMemory() throws Exception {
    Database source = kiln.open("big");
    Random random = new Random(15);
    int docs = 0;
    long bytes = 0;
    while (bytes < CAR_MB * 1024L * 1024) {
      List<ObjectNode> batch = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        byte[] pad = new byte[400_000];
        random.nextBytes(pad);
        batch.add(JsonNodeFactory.instance.objectNode().put("_id", "d" + docs++)
            .put("pad", java.util.Base64.getEncoder().encodeToString(pad)));
        bytes += pad.length * 4 / 3;
      }
      await(source.putAll(batch));
    }
    Path car = dir.resolve("big.car");
    Exported exported = await(source.exportCar(car));
    DatabaseStats stats = await(source.stats());
    assertThat(Files.size(car)).isGreaterThan(2L * HEAP_MB * 1024 * 1024);

    Path child = Files.createDirectories(dir.resolve("child"));
    Path out = dir.resolve("import.out");
    Path err = dir.resolve("import.err");
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + HEAP_MB + "m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), ImportMain.class.getName(), child.toString(), car.toString());
    Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(30, TimeUnit.MINUTES)).as("the import finished").isTrue();
    assertThat(p.exitValue()).as(Files.readString(err)).isZero();
    assertThat(Files.readString(out).trim()).isEqualTo("IMPORTED " + exported.root() + " " + stats.documents());
  }
}
