// Re-writes captured Kafka frames at other versions with Apache Kafka's own message classes (the code the
// Java client and the broker serialise with), for the API versions no client we drive sends.
//
//   java -cp "<kafka libs>/*" scripts/golden/KafkaCodec.java < jobs
//
// One job per input line, one answer per output line:
//   request <targetVersion> <request frame hex, no size prefix>              -> the request re-written
//   response <apiKey> <fromVersion> <targetVersion> <response frame hex>     -> the response re-written
// An answer is the hex frame (no size prefix), or "error <reason>" when Kafka's classes refuse (a field
// set in the source that the target version cannot carry, or a version Kafka no longer describes).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

public class KafkaCodec {
  private static final HexFormat HEX = HexFormat.of();

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isBlank()) continue;
      String[] p = line.trim().split(" ");
      try {
        System.out.println(p[0].equals("request")
            ? request(Short.parseShort(p[1]), HEX.parseHex(p[2]))
            : response(Short.parseShort(p[1]), Short.parseShort(p[2]), Short.parseShort(p[3]), HEX.parseHex(p[4])));
      } catch (Exception e) {
        System.out.println("error " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' '));
      }
    }
  }

  private static String request(short target, byte[] frame) {
    ByteBuffer buf = ByteBuffer.wrap(frame);
    ApiKeys api = ApiKeys.forId(buf.getShort(0));
    short from = buf.getShort(2);
    RequestHeaderData header = new RequestHeaderData(new ByteBufferAccessor(buf), api.requestHeaderVersion(from));
    ApiMessage body = ApiMessageType.fromApiKey(api.id).newRequest();
    body.read(new ByteBufferAccessor(buf), from);
    header.setRequestApiVersion(target);
    return HEX.formatHex(concat(header, api.requestHeaderVersion(target), body, target));
  }

  private static String response(short key, short from, short target, byte[] frame) {
    ByteBuffer buf = ByteBuffer.wrap(frame);
    ApiKeys api = ApiKeys.forId(key);
    ResponseHeaderData header = new ResponseHeaderData(new ByteBufferAccessor(buf), api.responseHeaderVersion(from));
    ApiMessage body = ApiMessageType.fromApiKey(key).newResponse();
    body.read(new ByteBufferAccessor(buf), from);
    return HEX.formatHex(concat(header, api.responseHeaderVersion(target), body, target));
  }

  private static byte[] concat(Message header, short headerVersion, Message body, short version) {
    ObjectSerializationCache cache = new ObjectSerializationCache();
    int size = header.size(cache, headerVersion) + body.size(cache, version);
    ByteBuffer out = ByteBuffer.allocate(size);
    ByteBufferAccessor w = new ByteBufferAccessor(out);
    header.write(w, cache, headerVersion);
    body.write(w, cache, version);
    return out.array();
  }
}
