"""A TCP relay in front of librdkafka's mock broker that makes it advertise another port.

The mock broker (`drainpipe kafka`, the tests' embedded broker) advertises the address it listens on, 127.0.0.1:<port>,
in every metadata and coordinator answer, and librdkafka offers no way to change that. A TLS terminator in front of
it would therefore serve only the bootstrap connection: the clients then follow the advertised plaintext address.

This relay sits between the TLS terminator and the broker. It passes requests through unchanged and rewrites every
answer frame (int32 size, then the body): each occurrence of the host string followed by the broker's port as a
big-endian int32, which is how Metadata and FindCoordinator answers encode a broker in every version (length-prefixed
or compact string, then the port), gets the advertised port instead. Host and port keep their lengths, so sizes stay
valid. Clients thus connect to the TLS terminator for every broker connection.

Usage: advertised_port_proxy.py LISTEN_PORT BROKER_HOST BROKER_PORT ADVERTISED_PORT
"""

import asyncio
import struct
import sys


async def pipe_requests(reader, writer):
    while chunk := await reader.read(65536):
        writer.write(chunk)
        await writer.drain()
    writer.close()


async def pipe_answers(reader, writer, original, advertised):
    while True:
        try:
            header = await reader.readexactly(4)
            body = await reader.readexactly(struct.unpack(">i", header)[0])
        except asyncio.IncompleteReadError:
            break
        writer.write(header + body.replace(original, advertised))
        await writer.drain()
    writer.close()


async def main(listen_port, broker_host, broker_port, advertised_port):
    host = broker_host.encode()
    original = host + struct.pack(">i", broker_port)
    advertised = host + struct.pack(">i", advertised_port)

    async def relay(client_reader, client_writer):
        try:
            broker_reader, broker_writer = await asyncio.open_connection(broker_host, broker_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            pipe_requests(client_reader, broker_writer),
            pipe_answers(broker_reader, client_writer, original, advertised),
            return_exceptions=True,
        )

    server = await asyncio.start_server(relay, "127.0.0.1", listen_port)
    print(f"relaying 127.0.0.1:{listen_port} -> {broker_host}:{broker_port}, advertising port {advertised_port}",
          flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    listen, broker_host, broker_port, advertised = sys.argv[1:5]
    asyncio.run(main(int(listen), broker_host, int(broker_port), int(advertised)))
