// hb_frame_rx -- link frame receiver (docs/protocol.md §2, receiver rules 1-6).
//
// Consumes bytes from hb_uart_rx and reports events to the command dispatcher:
//   hdr_valid   header accepted (hcrc good, len <= MAX_PAYLOAD): ftype, seq, len valid
//   pl_valid    one payload byte (pl_data), in order, len of them after hdr_valid; len
//               counts them down: with each pl_valid it is the number still to come
//   end_valid   frame complete; end_crc_ok says whether the CRC-16 matched
//   err_valid   frame dropped: err_reason 1 BAD_HCRC, 3 OVERSIZE, 4 TIMEOUT; err_tknown says
//               whether ftype is the frame's type (OVERSIZE, TIMEOUT after the header);
//               seq is the seq position of the header register (the frame's seq once the
//               header is complete; for a TIMEOUT inside the header it is garbage, which
//               the protocol allows). A TIMEOUT after hdr_valid also aborts the frame for
//               the dispatcher.
//   garbage     a byte other than SOF dropped while hunting
// ftype, seq and len are wires from the header register: they hold from hdr_valid (or
// err_valid) until the next SOF's header bytes arrive. pl_data is hb_uart_rx's shift
// register itself, which holds each byte for >= 2 bit times after in_valid.
// Rule 2: after a bad hcrc the five header bytes are replayed through the hunter (one per
// cycle) out of the header register, a 5-byte shift register: a new header found in the
// replay shifts its bytes in behind the ones still to be replayed. A UART byte cannot
// arrive during the 5-cycle replay (it comes >= 10 bit times = 40 cycles after the hcrc).
// Rule 4: no byte for TIMEOUT_CYC cycles inside a frame (after SOF) drops it; the idle
// time is counted in toggles of cycle bit TB (about 256 per timeout, no wide counter), so
// the frame is dropped between TIMEOUT_CYC and TIMEOUT_CYC + 2^(TB+1) cycles after the last
// byte. Unknown type / bad length (rule 6) and the CRC verdict (rule 5) are acted on by
// hb_cmd.
`default_nettype none
module hb_frame_rx #(
    parameter integer TIMEOUT_CYC = 240_000,
    parameter integer MAX_PAYLOAD = 1024
) (
    input  wire        clk,
    input  wire        rst,
    input  wire [47:0] cycle,       // free-running counter (only bit TB is used)
    input  wire [7:0]  in_data,
    input  wire        in_valid,
    output reg         hdr_valid,
    output wire [7:0]  ftype,
    output wire [7:0]  seq,
    output wire [10:0] len,
    output reg         pl_valid,
    output wire [7:0]  pl_data,
    output reg         end_valid,
    output reg         end_crc_ok,
    output reg         err_valid,
    output reg  [2:0]  err_reason,
    output reg         err_tknown,
    output reg         garbage
);
    localparam integer TB = ($clog2(TIMEOUT_CYC) > 8) ? $clog2(TIMEOUT_CYC) - 8 : 0;
    localparam integer NT = (TIMEOUT_CYC + (1 << TB) - 1) / (1 << TB) + 1;  // toggles
    localparam integer TW = $clog2(NT + 1);
    localparam [7:0] SOF = 8'hA5;
    localparam [1:0] HUNT = 2'd0, HDR = 2'd1, PAY = 2'd2, CRC = 2'd3;

    reg [1:0]    state;
    reg [2:0]    hidx;          // header byte index 0..4
    reg [39:0]   hsr;           // header bytes, oldest in [7:0]: type, seq, lenL, lenH, hcrc
    reg [2:0]    rcnt;          // replay bytes left
    reg [7:0]    crc8;
    reg [15:0]   crc16;
    reg          lo_seen, lo_ok;
    reg [TW-1:0] idle;          // toggles of cycle[TB] since the last byte
    reg          tprev;

    assign ftype   = hsr[7:0];
    assign seq     = hsr[15:8];
    assign len     = {hsr[26:24], hsr[23:16]};
    assign pl_data = in_data;

    // byte source: the replay first, then the UART
    wire       replaying = (rcnt != 3'd0);
    wire       b_valid   = replaying | in_valid;
    wire [7:0] b         = replaying ? hsr[7:0] : in_data;
    wire       tick      = cycle[TB] ^ tprev;

    wire [7:0]  crc8_n;
    wire [15:0] crc16_n;
    hb_crc8  u_c8  (.crc_in(crc8),  .data(b), .crc_out(crc8_n));
    hb_crc16 u_c16 (.crc_in(crc16), .data(b), .crc_out(crc16_n));

    // the 4 header bytes before the hcrc, as they sit while the hcrc byte is checked
    wire [15:0] hlen = hsr[39:24];

    // header register: shifts on every replayed byte and every header byte (no reset
    // needed); its length field counts the payload bytes down
    wire [10:0] len_dec = len - 1'b1;
    always @(posedge clk)
        if (replaying || (in_valid && state == HDR)) hsr <= {b, hsr[39:8]};
        else if (in_valid && state == PAY)          {hsr[26:24], hsr[23:16]} <= len_dec;

    always @(posedge clk) begin
        hdr_valid <= 1'b0;
        pl_valid  <= 1'b0;
        end_valid <= 1'b0;
        err_valid <= 1'b0;
        garbage   <= 1'b0;
        tprev     <= cycle[TB];
        if (rst) begin
            state <= HUNT; hidx <= 3'd0; rcnt <= 3'd0;
            crc8 <= 8'd0; crc16 <= 16'hFFFF; lo_seen <= 1'b0; lo_ok <= 1'b0;
            idle <= {TW{1'b0}}; end_crc_ok <= 1'b0; err_reason <= 3'd0; err_tknown <= 1'b0;
        end else begin
            if (replaying) rcnt <= rcnt - 1'b1;

            if (b_valid) idle <= {TW{1'b0}};
            else if (state != HUNT && tick) idle <= idle + 1'b1;

            if (state != HUNT && !b_valid && idle == NT[TW-1:0]) begin
                // rule 4: inter-byte timeout
                state      <= HUNT;
                err_valid  <= 1'b1;
                err_reason <= 3'd4;
                err_tknown <= (state != HDR);
                idle       <= {TW{1'b0}};
            end else if (b_valid) begin
                case (state)
                HUNT: if (b == SOF) begin
                    state <= HDR;
                    hidx  <= 3'd0;
                    crc8  <= 8'd0;
                    crc16 <= 16'hFFFF;
                end else begin
                    garbage <= 1'b1;
                end
                HDR: begin
                    hidx <= hidx + 1'b1;
                    if (hidx != 3'd4) begin
                        crc8  <= crc8_n;
                        crc16 <= crc16_n;
                    end else if (b != crc8) begin
                        // rule 2: bad hcrc, replay the 5 header bytes through the hunter
                        state      <= HUNT;
                        err_valid  <= 1'b1;
                        err_reason <= 3'd1;
                        err_tknown <= 1'b0;
                        rcnt       <= 3'd5;
                    end else if (hlen > MAX_PAYLOAD[15:0]) begin
                        state      <= HUNT;        // rule 3
                        err_valid  <= 1'b1;
                        err_reason <= 3'd3;
                        err_tknown <= 1'b1;
                    end else begin
                        hdr_valid <= 1'b1;
                        state     <= (hlen == 16'd0) ? CRC : PAY;
                        lo_seen   <= 1'b0;
                    end
                end
                PAY: begin
                    pl_valid <= 1'b1;
                    crc16    <= crc16_n;
                    if (len == 11'd1) state <= CRC;
                end
                default: begin                    // CRC, low byte first
                    lo_seen <= 1'b1;
                    lo_ok   <= (b == crc16[7:0]);
                    if (lo_seen) begin
                        end_valid  <= 1'b1;
                        end_crc_ok <= lo_ok && (b == crc16[15:8]);
                        state      <= HUNT;
                    end
                end
                endcase
            end
        end
    end
endmodule
`default_nettype wire
