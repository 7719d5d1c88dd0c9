// hb_frame_rx -- link frame receiver (docs/protocol.md §2, receiver rules 1-6).
//
// Consumes bytes from hb_uart_rx and reports events to the command dispatcher:
//   hdr_valid   header accepted (hcrc good, len <= MAX_PAYLOAD): type, seq, len valid
//   pl_valid    one payload byte (pl_data), in order, len of them after hdr_valid
//   end_valid   frame complete; end_crc_ok says whether the CRC-16 matched
//   err_valid   frame dropped: err_reason 1 BAD_HCRC, 3 OVERSIZE, 4 TIMEOUT, with the type
//               (0 when not trustworthy: BAD_HCRC, TIMEOUT inside the header) and seq as
//               received. A TIMEOUT after hdr_valid also aborts the frame for the dispatcher.
//   garbage     a byte other than SOF dropped while hunting
// Rule 2: after a bad hcrc the five header bytes are replayed through the hunter (one per
// cycle), so a real SOF inside the bad header is found. Rule 4: no byte for TIMEOUT_CYC
// cycles inside a frame (after SOF) drops it. Unknown type / bad length (rule 6) and the
// CRC verdict (rule 5) are acted on by hb_cmd.
`default_nettype none
module hb_frame_rx #(
    parameter integer TIMEOUT_CYC = 240_000,
    parameter integer MAX_PAYLOAD = 1024
) (
    input  wire        clk,
    input  wire        rst,
    input  wire [7:0]  in_data,
    input  wire        in_valid,
    output reg         hdr_valid,
    output reg  [7:0]  ftype,
    output reg  [7:0]  seq,
    output reg  [15:0] len,
    output reg         pl_valid,
    output reg  [7:0]  pl_data,
    output reg         end_valid,
    output reg         end_crc_ok,
    output reg         err_valid,
    output reg  [7:0]  err_reason,
    output reg  [7:0]  err_type,
    output reg  [7:0]  err_seq,
    output reg         garbage
);
    localparam integer TW = $clog2(TIMEOUT_CYC + 2);
    localparam [7:0] SOF = 8'hA5;
    localparam [1:0] HUNT = 2'd0, HDR = 2'd1, PAY = 2'd2, CRC = 2'd3;

    reg [1:0]    state;
    reg [2:0]    hidx;          // header byte index 0..4
    reg [7:0]    hb [0:4];      // header bytes as received (type, seq, lenL, lenH, hcrc)
    reg [7:0]    rb [0:4];      // replay copy
    reg [2:0]    rcnt;          // replay bytes left
    reg [2:0]    ridx;
    reg [15:0]   left;          // payload bytes left
    reg [7:0]    crc8;
    reg [15:0]   crc16;
    reg          crc_lo_seen;
    reg [7:0]    crc_lo;
    reg [TW-1:0] idle;
    reg          hold_v;        // a UART byte that arrived during a replay
    reg [7:0]    hold_d;

    // byte source: replay first, then a held UART byte, then the UART
    wire       replaying = (rcnt != 0);
    wire       b_valid   = replaying ? 1'b1 : (hold_v ? 1'b1 : in_valid);
    wire [7:0] b         = replaying ? rb[ridx] : (hold_v ? hold_d : in_data);

    wire [7:0]  crc8_n;
    wire [15:0] crc16_n;
    hb_crc8  u_c8  (.crc_in(crc8),  .data(b), .crc_out(crc8_n));
    hb_crc16 u_c16 (.crc_in(crc16), .data(b), .crc_out(crc16_n));

    wire [15:0] hlen = {hb[3], hb[2]};
    integer k;

    always @(posedge clk) begin
        hdr_valid <= 1'b0;
        pl_valid  <= 1'b0;
        end_valid <= 1'b0;
        err_valid <= 1'b0;
        garbage   <= 1'b0;
        if (rst) begin
            state <= HUNT; hidx <= 3'd0; rcnt <= 3'd0; ridx <= 3'd0; left <= 16'd0;
            crc8 <= 8'd0; crc16 <= 16'hFFFF; crc_lo_seen <= 1'b0; crc_lo <= 8'd0;
            idle <= {TW{1'b0}}; hold_v <= 1'b0; hold_d <= 8'd0;
            ftype <= 8'd0; seq <= 8'd0; len <= 16'd0; pl_data <= 8'd0; end_crc_ok <= 1'b0;
            err_reason <= 8'd0; err_type <= 8'd0; err_seq <= 8'd0;
            for (k = 0; k < 5; k = k + 1) begin hb[k] <= 8'd0; rb[k] <= 8'd0; end
        end else begin
            // hold a UART byte that collides with a replay (cannot happen at DIV >= 4,
            // since a replay takes 5 cycles and a byte 40, but costs little)
            if (replaying && in_valid) begin
                hold_v <= 1'b1; hold_d <= in_data;
            end else if (!replaying && hold_v) begin
                hold_v <= in_valid;            // consume the held byte, keep a new one
                hold_d <= in_data;
            end
            if (replaying) begin
                rcnt <= rcnt - 1'b1;
                ridx <= ridx + 1'b1;
            end

            if (b_valid) idle <= {TW{1'b0}};
            else if (state != HUNT) idle <= idle + 1'b1;

            if (state != HUNT && !b_valid && idle >= TIMEOUT_CYC[TW-1:0] - 1'b1) begin
                // rule 4: inter-byte timeout
                state      <= HUNT;
                err_valid  <= 1'b1;
                err_reason <= 8'd4;
                err_type   <= (state == HDR) ? 8'd0 : ftype;
                err_seq    <= (state == HDR && hidx < 3'd2) ? 8'd0 : hb[1];
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
                    hb[hidx] <= b;
                    hidx     <= hidx + 1'b1;
                    if (hidx != 3'd4) begin
                        crc8  <= crc8_n;
                        crc16 <= crc16_n;
                    end else if (b != crc8) begin
                        // rule 2: bad hcrc, replay the 5 header bytes through the hunter
                        state      <= HUNT;
                        err_valid  <= 1'b1;
                        err_reason <= 8'd1;
                        err_type   <= 8'd0;
                        err_seq    <= hb[1];
                        rb[0] <= hb[0]; rb[1] <= hb[1]; rb[2] <= hb[2]; rb[3] <= hb[3];
                        rb[4] <= b;
                        rcnt <= 3'd5;
                        ridx <= 3'd0;
                    end else if (hlen > MAX_PAYLOAD[15:0]) begin
                        state      <= HUNT;        // rule 3
                        err_valid  <= 1'b1;
                        err_reason <= 8'd3;
                        err_type   <= hb[0];
                        err_seq    <= hb[1];
                    end else begin
                        ftype      <= hb[0];
                        seq       <= hb[1];
                        len       <= hlen;
                        left      <= hlen;
                        hdr_valid <= 1'b1;
                        state     <= (hlen == 16'd0) ? CRC : PAY;
                        crc_lo_seen <= 1'b0;
                    end
                end
                PAY: begin
                    pl_valid <= 1'b1;
                    pl_data  <= b;
                    crc16    <= crc16_n;
                    left     <= left - 1'b1;
                    if (left == 16'd1) begin
                        state       <= CRC;
                        crc_lo_seen <= 1'b0;
                    end
                end
                default: begin                    // CRC, low byte first
                    if (!crc_lo_seen) begin
                        crc_lo      <= b;
                        crc_lo_seen <= 1'b1;
                    end else begin
                        end_valid  <= 1'b1;
                        end_crc_ok <= ({b, crc_lo} == crc16);
                        state      <= HUNT;
                    end
                end
                endcase
            end
        end
    end
endmodule
`default_nettype wire
