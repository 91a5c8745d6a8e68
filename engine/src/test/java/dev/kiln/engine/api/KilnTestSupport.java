package dev.kiln.engine.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.kiln.engine.config.KilnConfig;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.assertj.core.api.Assertions;

/** Starts Kiln on the embedded defaults in a test's directory; checks typed failures. */
final class KilnTestSupport {
  static final ObjectMapper JSON = new ObjectMapper();

  private KilnTestSupport() {}

  static Config config(Path dir, Map<String, Object> settings) {
    Config c = ConfigFactory.empty().withValue("kiln.data-dir", ConfigValueFactory.fromAnyRef(dir.toString()));
    for (Map.Entry<String, Object> e : settings.entrySet()) {
      c = c.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    return KilnConfig.withDefaults(c);
  }

  static Kiln start(Path dir) {
    return Kiln.start(config(dir, Map.of()));
  }

  static <T> T await(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  /** The stage fails with a KilnException of this code; returns it for more checks. */
  static KilnException failsWith(CompletionStage<?> stage, ErrorCode code) {
    try {
      stage.toCompletableFuture().join();
    } catch (CompletionException e) {
      Assertions.assertThat(e.getCause()).isInstanceOf(KilnException.class);
      KilnException k = (KilnException) e.getCause();
      Assertions.assertThat(k.code()).as(k.getMessage()).isEqualTo(code);
      return k;
    }
    throw new AssertionError("expected a failure with " + code + ", but it succeeded");
  }

  /** Copies of a CAR's bytes that an import must refuse: {@code truncated.car} and {@code tampered.car} in {@code dir}. */
  static List<Path> truncatedAndTampered(byte[] bytes, Path dir) throws java.io.IOException {
    Path truncated = dir.resolve("truncated.car");
    java.nio.file.Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 100));
    Path tampered = dir.resolve("tampered.car");
    byte[] flipped = bytes.clone();
    flipped[bytes.length / 2] ^= 0x01;
    java.nio.file.Files.write(tampered, flipped);
    return List.of(truncated, tampered);
  }
}
