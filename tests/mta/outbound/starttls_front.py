"""tests/mta/outbound: a minimal SMTP server that offers STARTTLS and, when the client takes it, hands
the connection to a TLS server on the backend port (an `openssl s_server` with a configuration
the client cannot accept) by relaying bytes both ways. Without STARTTLS it accepts any message
(250 to everything, 354 to DATA). Usage: starttls_front.py IP PORT BACKEND_PORT"""

import asyncio
import sys


async def relay(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def hand_over(reader, writer, backend_port):
    backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", backend_port)
    await asyncio.gather(relay(reader, backend_writer), relay(backend_reader, writer))


async def session(reader, writer, backend_port):
    writer.write(b"220 front.example ESMTP\r\n")
    in_data = False
    while line := await reader.readline():
        if in_data:
            if line == b".\r\n":
                in_data = False
                writer.write(b"250 2.0.0 queued in plaintext\r\n")
            continue
        verb = line.strip().upper()
        if verb.startswith(b"EHLO"):
            writer.write(b"250-front.example\r\n250 STARTTLS\r\n")
        elif verb == b"STARTTLS":
            writer.write(b"220 2.0.0 ready to start TLS\r\n")
            await writer.drain()
            await hand_over(reader, writer, backend_port)
            return
        elif verb == b"DATA":
            in_data = True
            writer.write(b"354 go ahead\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 2.0.0 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 2.0.0 ok\r\n")
        await writer.drain()
    writer.close()


async def main(ip, port, backend_port):
    server = await asyncio.start_server(
        lambda r, w: session(r, w, backend_port), ip, port)
    async with server:
        await server.serve_forever()


asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
