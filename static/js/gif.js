// A small animated-GIF (GIF89a) encoder: one global palette of up to 256 colours, frames of RGBA
// pixels mapped to their nearest palette colour, LZW-compressed, looping forever.
//
//   const gif = new HockeyGif.Writer(width, height, [[255, 255, 255], ...], delayCentiseconds);
//   gif.addFrame(imageData.data);   // once per frame
//   const bytes = gif.finish();     // Uint8Array of the whole file
//
// Written for the replay's "Download GIF"; the format follows the GIF89a specification (LZW with
// variable code sizes from min + 1 up to 12 bits, a clear code when the table is full).
(function () {
  "use strict";

  class Bytes {
    constructor() { this.buffer = new Uint8Array(1 << 20); this.length = 0; }

    grow(extra) {
      if (this.length + extra <= this.buffer.length) return;
      const bigger = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
      bigger.set(this.buffer.subarray(0, this.length));
      this.buffer = bigger;
    }

    byte(b) { this.grow(1); this.buffer[this.length++] = b; }

    word(w) { this.byte(w & 255); this.byte((w >> 8) & 255); }

    text(s) { for (const c of s) this.byte(c.charCodeAt(0)); }

    bytes(list) { for (const b of list) this.byte(b); }

    result() { return this.buffer.slice(0, this.length); }
  }

  class Writer {
    constructor(width, height, palette, delay) {
      this.width = width;
      this.height = height;
      this.delay = delay;
      this.frames = 0;
      let bits = 1;
      while ((1 << bits) < palette.length) bits++;
      this.bits = bits;
      this.minCodeSize = Math.max(2, bits);
      this.palette = palette;
      this.nearest = new Int16Array(1 << 15).fill(-1);  // 5 bits per channel -> palette index
      this.indices = new Uint8Array(width * height);
      this.codes = new Int32Array(4096 * 256);
      this.stamps = new Int32Array(4096 * 256);
      this.generation = 0;
      const out = (this.out = new Bytes());
      out.text("GIF89a");
      out.word(width);
      out.word(height);
      out.byte(0x80 | ((bits - 1) << 4) | (bits - 1));  // a global colour table of 2^bits entries
      out.byte(0);
      out.byte(0);
      for (let k = 0; k < (1 << bits); k++) out.bytes(palette[k] || [0, 0, 0]);
      out.bytes([0x21, 0xff, 0x0b]);  // application extension: loop forever
      out.text("NETSCAPE2.0");
      out.bytes([0x03, 0x01, 0x00, 0x00, 0x00]);
    }

    closest(r, g, b) {
      const key = ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3);
      let found = this.nearest[key];
      if (found >= 0) return found;
      let best = Infinity;
      this.palette.forEach(([pr, pg, pb], k) => {
        const d = (pr - r) ** 2 + (pg - g) ** 2 + (pb - b) ** 2;
        if (d < best) { best = d; found = k; }
      });
      this.nearest[key] = found;
      return found;
    }

    // One frame of RGBA pixels (width x height, as ImageData.data holds them).
    addFrame(rgba) {
      const indices = this.indices;
      for (let p = 0, k = 0; p < indices.length; p++, k += 4) indices[p] = this.closest(rgba[k], rgba[k + 1], rgba[k + 2]);
      const out = this.out;
      out.bytes([0x21, 0xf9, 0x04, 0x04]);  // graphic control: keep the frame, no transparency
      out.word(this.delay);
      out.bytes([0x00, 0x00]);
      out.byte(0x2c);  // image descriptor: the whole canvas, no local colour table
      out.word(0);
      out.word(0);
      out.word(this.width);
      out.word(this.height);
      out.byte(0);
      out.byte(this.minCodeSize);
      this.compress(indices);
      this.frames += 1;
    }

    // LZW codes of `indices`, packed least significant bit first into sub-blocks of <= 255 bytes.
    compress(indices) {
      const out = this.out, codes = this.codes, stamps = this.stamps;
      const clear = 1 << this.minCodeSize, end = clear + 1;
      let size = this.minCodeSize + 1, next = end + 1;
      let bitBuffer = 0, bitCount = 0;
      const block = new Uint8Array(255);
      let blockLength = 0;
      const flushBlock = () => {
        if (blockLength === 0) return;
        out.byte(blockLength);
        out.bytes(block.subarray(0, blockLength));
        blockLength = 0;
      };
      const emit = (code) => {
        bitBuffer |= code << bitCount;
        bitCount += size;
        while (bitCount >= 8) {
          block[blockLength++] = bitBuffer & 255;
          if (blockLength === 255) flushBlock();
          bitBuffer >>>= 8;
          bitCount -= 8;
        }
      };
      const generation = () => { this.generation += 1; return this.generation; };
      let stamp = generation();
      emit(clear);
      let prefix = indices[0];
      for (let p = 1; p < indices.length; p++) {
        const k = indices[p];
        const key = prefix * 256 + k;
        if (stamps[key] === stamp) { prefix = codes[key]; continue; }
        emit(prefix);
        if (next === 4096) {
          emit(clear);
          stamp = generation();
          size = this.minCodeSize + 1;
          next = end + 1;
        } else {
          if (next >= (1 << size)) size += 1;
          stamps[key] = stamp;
          codes[key] = next++;
        }
        prefix = k;
      }
      emit(prefix);
      emit(end);
      if (bitCount > 0) {
        block[blockLength++] = bitBuffer & 255;
        if (blockLength === 255) flushBlock();
      }
      flushBlock();
      out.byte(0);  // end of the image's data
    }

    finish() {
      this.out.byte(0x3b);
      return this.out.result();
    }
  }

  window.HockeyGif = { Writer };
})();
