// Kvorum: the browser's side of the signalling protocol (docs/protocol.md), shared by the
// meeting page and the device check. The server always offers; this client only answers,
// publishing its camera and microphone on the m-lines the offer marks `publish`, and reports
// what it receives (`stats`) so the server can judge the downlink too.

/** What the camera and microphone are asked for: >= 20 fps and >= 240 lines (the profile). */
export const MEDIA_CONSTRAINTS = {
  audio: { echoCancellation: true, noiseSuppression: true },
  video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 25 } },
};

const ICE_GATHERING_TIMEOUT_MS = 3000;

/** Camera and microphone, optionally from chosen devices. */
export function startLocalMedia({ cameraId = null, micId = null } = {}) {
  return navigator.mediaDevices.getUserMedia({
    audio: { ...MEDIA_CONSTRAINTS.audio, ...(micId ? { deviceId: { exact: micId } } : {}) },
    video: { ...MEDIA_CONSTRAINTS.video, ...(cameraId ? { deviceId: { exact: cameraId } } : {}) },
  });
}

function waitForIceGathering(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', done);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, ICE_GATHERING_TIMEOUT_MS);  // answer with what we have rather than hang
  });
}

/**
 * One signalling WebSocket and its RTCPeerConnection.
 *   onMessage(message)      every server message (offers are answered here first)
 *   onTrack(track, info)    a received track; info = {role, kind, participant} of its m-line
 *   onConnectionState(s)    the peer connection's state
 *   onClose()               the WebSocket closed
 */
export class Connection {
  constructor({ local = null, onMessage = () => {}, onTrack = () => {},
    onConnectionState = () => {}, onClose = () => {}, rtcConfig = {} } = {}) {
    this.local = local;
    this.handlers = { onMessage, onTrack, onConnectionState, onClose };
    this.rtcConfig = { bundlePolicy: 'max-bundle', iceServers: [], ...rtcConfig };
    this.tracks = {};  // mid -> {role, kind, participant}
    this.pc = null;
    this.ws = null;
    this.negotiation = Promise.resolve();
  }

  /** Open the socket and send `join` (first message) once it is open. */
  open(join) {
    this.pc = new RTCPeerConnection(this.rtcConfig);
    this.pc.ontrack = (event) => {
      const info = this.tracks[event.transceiver.mid];
      if (info && info.role === 'subscribe') this.handlers.onTrack(event.track, info);
    };
    this.pc.onconnectionstatechange = () => this.handlers.onConnectionState(this.pc.connectionState);
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.ws = new WebSocket(`${scheme}://${location.host}/ws`);
    this.ws.onopen = () => this.send(join);
    this.ws.onclose = () => this.handlers.onClose();
    this.ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'offer') {
        this.negotiation = this.negotiation.then(() => this.answer(message)).catch((err) => {
          console.error('negotiation failed', err);
        });
      }
      this.handlers.onMessage(message);
    };
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** Answer an offer: our tracks on the publish m-lines (sendonly), receive the rest. */
  async answer(offer) {
    this.tracks = offer.tracks || {};
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    for (const transceiver of this.pc.getTransceivers()) {
      const info = this.tracks[transceiver.mid];
      if (!info || info.role !== 'publish') continue;
      const track = this.local && this.local.getTracks().find((t) => t.kind === info.kind);
      transceiver.direction = track ? 'sendonly' : 'inactive';
      if (track && transceiver.sender.track !== track) await transceiver.sender.replaceTrack(track);
    }
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await waitForIceGathering(this.pc);
    this.send({ type: 'answer', sdp: this.pc.localDescription.sdp });
  }

  /**
   * getStats, sorted: {report, rtt (s or null), inbound: [{info, stat}] for what we receive,
   * outboundVideo}.
   */
  async readStats() {
    const out = { report: null, rtt: null, inbound: [], outboundVideo: null };
    if (!this.pc || this.pc.connectionState === 'closed') return out;
    const report = await this.pc.getStats();
    out.report = report;
    let remoteRtt = null;
    for (const s of report.values()) {
      if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number') out.rtt = s.currentRoundTripTime;
      if (s.type === 'remote-inbound-rtp' && typeof s.roundTripTime === 'number') remoteRtt = s.roundTripTime;
      if (s.type === 'outbound-rtp' && s.kind === 'video') out.outboundVideo = s;
      if (s.type === 'inbound-rtp') {
        const info = this.tracks[s.mid];
        if (info && info.role === 'subscribe') out.inbound.push({ info, stat: s });
      }
    }
    if (out.rtt === null) out.rtt = remoteRtt;
    return out;
  }

  /** Tell the server what this browser receives (the `stats` message); returns what was read. */
  async reportStats() {
    const read = await this.readStats();
    if (!read.report) return read;
    const inbound = read.inbound.map(({ info, stat: s }) => ({
      participant: info.participant, kind: s.kind,
      framesPerSecond: s.framesPerSecond, freezeCount: s.freezeCount,
      totalFreezesDuration: s.totalFreezesDuration, concealedSamples: s.concealedSamples,
      totalSamplesReceived: s.totalSamplesReceived, jitterBufferDelay: s.jitterBufferDelay,
      jitterBufferEmittedCount: s.jitterBufferEmittedCount, roundTripTime: read.rtt,
      packetsLost: s.packetsLost, packetsReceived: s.packetsReceived,
    }));
    this.send({ type: 'stats', inbound });
    return read;
  }

  /** Say goodbye and close both the socket and the peer connection. */
  close() {
    this.send({ type: 'leave' });
    if (this.ws) this.ws.close();
    if (this.pc) this.pc.close();
  }
}
