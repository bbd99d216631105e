from channels.generic.websocket import AsyncWebsocketConsumer


class EchoConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        if text_data is not None:
            await self.send(text_data=text_data)


class RoomConsumer(AsyncWebsocketConsumer):
    """Every text frame goes to every member of the room, the sender included."""

    async def connect(self):
        self.group = "room." + self.scope["url_route"]["kwargs"]["room"]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is not None:
            await self.channel_layer.group_send(self.group, {"type": "room.message", "text": text_data})

    async def room_message(self, event):
        await self.send(text_data=event["text"])
