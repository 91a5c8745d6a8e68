package dev.kiln.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KilnExceptionSerializerTest {
  final KilnExceptionSerializer serializer = new KilnExceptionSerializer();

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void everyCodeAndItsMessageComeBack(ErrorCode code) {
    KilnException sent = new KilnException(code, "line one\nline two: ü", new IllegalStateException("stays here"));
    KilnException back = (KilnException) serializer.fromBinary(serializer.toBinary(sent), serializer.manifest(sent));
    assertThat(back.code()).isEqualTo(code);
    assertThat(back.getMessage()).isEqualTo("line one\nline two: ü");
    assertThat(back.getCause()).isNull();
  }

  @Test
  void aCodeThisNodeDoesNotKnowArrivesAsInternalWithWhatItSaid() {
    KilnException back = (KilnException) serializer.fromBinary("FUTURE_CODE\nsomething new".getBytes(StandardCharsets.UTF_8), "E");
    assertThat(back.code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(back.getMessage()).isEqualTo("FUTURE_CODE: something new");
  }

  @Test
  void bytesThatAreNoKilnExceptionAreRefused() {
    assertThatThrownBy(() -> serializer.fromBinary("no newline".getBytes(StandardCharsets.UTF_8), "E"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> serializer.fromBinary(new byte[0], "X")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theProtocolsDefaultsBindItWithoutJavaSerialization() {
    ActorSystem system = ActorSystem.create("serializer-test", ConfigFactory.parseString(
        "pekko.actor.allow-java-serialization = off\npekko.loglevel = WARNING").withFallback(ConfigFactory.load()));
    try {
      Serialization serialization = SerializationExtension.get(system);
      KilnException sent = new KilnException(ErrorCode.NOT_FOUND, "no document with id x");
      var found = serialization.findSerializerFor(sent);
      assertThat(found).isInstanceOf(KilnExceptionSerializer.class);
      byte[] bytes = serialization.serialize(sent).get();
      KilnException back = (KilnException) serialization.deserialize(bytes, found.identifier(),
          Serializers.manifestFor(found, sent)).get();
      assertThat(back.code()).isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(back.getMessage()).isEqualTo("no document with id x");
    } finally {
      system.terminate();
    }
  }
}
