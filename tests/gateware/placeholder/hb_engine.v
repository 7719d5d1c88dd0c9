// TEST-ONLY placeholder for hb_engine (not shipped): a slow, behavioural, bit-exact
// implementation of docs/semantics.md with the byte-port interface of INTERFACES.md,
// one synapse-step per cycle. Used only until the real engine (branch `engine`) lands.
/* verilator lint_off WIDTH */
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off BLKSEQ */
module hb_engine #(
    parameter integer LANES = 32, parameter integer WMEM_BYTES = 4096,
    parameter integer IMEM_BYTES = 4096, parameter integer MAX_L = 512
) (
    input  wire clk, input wire rst,
    input  wire mem_we, input wire mem_re, input wire [1:0] mem_region,
    input  wire [19:0] mem_addr, input wire [7:0] mem_wdata,
    output reg  [7:0] mem_rdata, output reg mem_rvalid,
    input  wire cfg_commit, output reg cfg_valid, output reg cfg_error,
    output wire [7:0] cfg_n_layers, output wire [15:0] cfg_L,
    input  wire start, output reg busy, output reg done, output reg [7:0] result_class,
    input  wire [7:0] cnt_idx, output wire [15:0] cnt_data, output wire [15:0] n_out_last,
    output wire [15:0] act_syn, output wire [15:0] act_ops, output wire act_wmem,
    output wire act_imem, output wire act_lif
);
    reg [7:0] cfg [0:159];
    reg [7:0] wmem [0:WMEM_BYTES-1];
    reg [7:0] imem [0:IMEM_BYTES-1];
    reg       hid [0:1][0:256*MAX_L-1];
    reg [15:0] cnt [0:255];
    // decoded (latched at commit)
    reg [7:0] K; reg [15:0] L; reg [15:0] sz [0:4];
    reg [15:0] wts [0:3], wis [0:3]; reg signed [15:0] isc[0:3], vth[0:3], vrs[0:3], vrt[0:3], lk[0:3], gn[0:3];
    reg [7:0] refr [0:3]; reg [31:0] woff [0:3];
    assign cfg_n_layers = K; assign cfg_L = L; assign n_out_last = sz[K];
    assign cnt_data = cnt[cnt_idx];
    assign act_syn = 0; assign act_ops = 0; assign act_wmem = 0; assign act_imem = 0; assign act_lif = 0;

    function [15:0] step(input [15:0] s);
        step = {s[14:0], s[15] ^ s[13] ^ s[12] ^ s[10]};
    endfunction
    function [15:0] u16(input integer o); u16 = {cfg[o+1], cfg[o]}; endfunction

    integer k, j, t, i, E, H, cur, ok, m;
    reg [15:0] W, Q; reg signed [15:0] v; integer rc;
    integer Iv, dl, di, vn, best;
    initial begin cfg_valid = 0; cfg_error = 0; K = 0; L = 0; busy = 0; done = 0; end

    always @(posedge clk) begin
        mem_rvalid <= mem_re; done <= 1'b0;
        if (mem_we) case (mem_region)
            2'd0: cfg[mem_addr] <= mem_wdata;
            2'd1: wmem[mem_addr] <= mem_wdata;
            default: imem[mem_addr] <= mem_wdata;
        endcase
        if (mem_re) case (mem_region)
            2'd0: mem_rdata <= cfg[mem_addr];
            2'd1: mem_rdata <= wmem[mem_addr];
            default: mem_rdata <= imem[mem_addr];
        endcase
        if (rst) begin cfg_valid <= 0; cfg_error <= 0; busy <= 0; end
        else if (cfg_commit) begin
            ok = (cfg[0] >= 1 && cfg[0] <= 4);
            L = u16(2); K = cfg[0];
            if (L == 0 || L > MAX_L || (L % LANES) != 0) ok = 0;
            for (m = 0; m < 5; m = m + 1) sz[m] = u16(8 + 2*m);
            if (ok) for (m = 0; m <= K; m = m + 1)
                if (sz[m] == 0 || sz[m] > (m == 0 ? 1024 : 256)) ok = 0;
            if (ok && sz[0] * (L/8) > IMEM_BYTES) ok = 0;
            for (m = 0; m < 4; m = m + 1) begin
                wts[m] = u16(32+32*m); wis[m] = u16(34+32*m); isc[m] = u16(36+32*m);
                vth[m] = u16(38+32*m); vrs[m] = u16(40+32*m); vrt[m] = u16(42+32*m);
                lk[m] = u16(44+32*m); gn[m] = u16(46+32*m); refr[m] = cfg[48+32*m];
                woff[m] = {cfg[55+32*m], cfg[54+32*m], cfg[53+32*m], cfg[52+32*m]};
                if (ok && m < K && woff[m] + sz[m]*sz[m+1] > WMEM_BYTES) ok = 0;
            end
            if (!ok) K = 0;
            cfg_valid <= ok; cfg_error <= !ok;
        end else if (start && cfg_valid) begin
            busy <= 1'b1;
            // whole inference at once (placeholder); done after a fixed delay below
            for (k = 0; k < K; k = k + 1) begin
                cur = k % 2;
                for (j = 0; j < sz[k+1]; j = j + 1) begin
                    v = vrt[k]; rc = 0; W = wts[k]; cnt[j] = 0;
                    for (t = 0; t < L; t = t + 1) begin
                        E = 0; H = 0; Q = wis[k];
                        for (i = 0; i < sz[k]; i = i + 1) begin
                            if ((k == 0 ? imem[i*(L/8) + t/8][t%8] : hid[1-cur][i*MAX_L + t])
                                && (((W ^ Q) >> 9) < (wmem[woff[k] + j*sz[k] + i] & 8'h7f))) begin
                                if (wmem[woff[k] + j*sz[k] + i][7]) H = H + 1; else E = E + 1;
                            end
                            Q = step(Q);
                        end
                        Iv = (E - H) * isc[k];
                        if (Iv > 32767) Iv = 32767; if (Iv < -32768) Iv = -32768;
                        dl = ((vrt[k] - v) * lk[k]) >>> 8; dl = {{16{dl[15]}}, dl[15:0]};
                        di = (Iv * gn[k]) >>> 8; di = {{16{di[15]}}, di[15:0]};
                        vn = v + dl + di; vn = {{16{vn[15]}}, vn[15:0]};
                        hid[cur][j*MAX_L + t] = 0;
                        if (rc > 0) begin rc = rc - 1; v = vrt[k]; end
                        else if (vn >= vth[k]) begin
                            hid[cur][j*MAX_L + t] = 1; v = vrs[k]; rc = refr[k]; cnt[j] = cnt[j] + 1;
                        end else v = vn;
                        W = step(W);
                    end
                end
            end
            best = 0;
            for (j = 1; j < sz[K]; j = j + 1) if (cnt[j] > cnt[best]) best = j;
            result_class <= best;
            delay <= 1000;
        end else if (busy) begin
            if (delay == 0) begin busy <= 1'b0; done <= 1'b1; end
            else delay <= delay - 1;
        end
    end
    reg [15:0] delay;
endmodule
