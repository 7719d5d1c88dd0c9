// hb_engine: folded SC-SNN inference engine (docs/semantics.md, docs/gateware.md).
//
// PORT LIST (stable contract for hb_top; see also gateware/rtl/INTERFACES.md)
//
// Parameters
//   LANES      P, time steps per cycle; power of two, 16..256.
//   FAMILY     0 sim/generic, 1 ice40 (unified memory = 4 x SB_SPRAM256KA; needs LANES=32
//              and IMEM_BYTES+WMEM_BYTES = 131072), 2 ecp5, 3 artix7 (generic inferred RAM).
//   WMEM_BYTES WEIGHTS region size; IMEM_BYTES INPUT region size (both multiples of P/8).
//   HMEM_BITS  hidden spike buffer (sum of n_out*L over hidden layers), multiple of P.
//   MAX_L      largest L; MAX_LAYERS (<=4), MAX_N_IN (<=1024), MAX_N_OUT (<=256).
//
// Clock/reset: clk, rst (synchronous, active high; constant reset values).
//
// Byte port (link side; one access per cycle; IGNORED while busy=1 or cfg_busy=1):
//   mem_we      write mem_wdata to (mem_region, mem_addr)
//   mem_re      read (mem_region, mem_addr); mem_rvalid pulses exactly 2 cycles later
//               with mem_rdata (held until the next read). Out-of-range reads return 0,
//               out-of-range writes are dropped.
//   mem_region  0 CONFIG (160 bytes), 1 WEIGHTS, 2 INPUT (docs/protocol.md section 3)
//   A write to CONFIG clears cfg_valid (the device is unconfigured until cfg_commit).
//   cfg_commit  pulse after the last byte of a LOAD to CONFIG: starts validation.
//   cfg_busy    high from the cycle after cfg_commit until the verdict (about 180 cycles).
//   cfg_done    1-cycle pulse when cfg_busy falls; cfg_valid/cfg_error are final then.
//   cfg_valid   the decoded configuration is valid (protocol section 3.1 checks).
//   cfg_error   the last commit found an invalid configuration (-> ERROR BAD_ARG);
//               cleared by the next cfg_commit.
//   cfg_n_layers, cfg_L      decoded K and L (0 when not valid).
//   size_idx/size_data       combinational read of sizes[size_idx] (n_in[0], n_out[0..K-1]);
//                            0 for idx > K or when not valid.
//   n_out_last               n_out[K-1] (0 when not valid).
//
// Inference:
//   start        pulse; accepted only when busy=0, cfg_busy=0 and cfg_valid=1.
//                If start is sampled at cycle s: busy=1 in cycles s+1 .. s+N,
//                done=1 (one cycle) and busy=0 at cycle s+N+1, where N is the closed
//                busy-cycle formula of docs/gateware.md ("Engine timing").
//   result_class argmax of the last layer's counts, ties to the lowest index;
//                valid from done until the next start.
//   cnt_idx/cnt_data  spike count of last-layer neuron cnt_idx; cnt_data is registered,
//                valid 1 cycle after cnt_idx is presented (synchronous RAM read).
//
// Activity (virtual board power model; board tops leave them open):
//   act_syn   synapse-steps this cycle whose AND was 1 (0..P)
//   act_ops   synapse-steps evaluated this cycle (0 or P)
//   act_wmem  weight storage read this cycle (unified memory row fetch or row cache read)
//   act_imem  input/spike memory read or write this cycle
//   act_lif   a neuron update (one time step) this cycle
module hb_engine #(
    parameter integer LANES      = 32,
    parameter integer FAMILY     = 0,
    parameter integer WMEM_BYTES = 131072 - 25088,
    parameter integer IMEM_BYTES = 25088,
    parameter integer HMEM_BITS  = 32768,
    parameter integer MAX_L      = 512,
    parameter integer MAX_LAYERS = 4,
    parameter integer MAX_N_IN   = 1024,
    parameter integer MAX_N_OUT  = 256
) (
    input  wire        clk,
    input  wire        rst,
    // byte port
    input  wire        mem_we,
    input  wire        mem_re,
    input  wire [1:0]  mem_region,
    input  wire [19:0] mem_addr,
    input  wire [7:0]  mem_wdata,
    output reg  [7:0]  mem_rdata,
    output reg         mem_rvalid,
    // configuration
    input  wire        cfg_commit,
    output reg         cfg_busy,
    output reg         cfg_done,
    output reg         cfg_valid,
    output reg         cfg_error,
    output wire [7:0]  cfg_n_layers,
    output wire [15:0] cfg_L,
    input  wire [2:0]  size_idx,
    output wire [15:0] size_data,
    output wire [15:0] n_out_last,
    // inference
    input  wire        start,
    output reg         busy,
    output reg         done,
    output reg  [7:0]  result_class,
    input  wire [7:0]  cnt_idx,
    output wire [15:0] cnt_data,
    // activity
    output wire [15:0] act_syn,
    output wire [15:0] act_ops,
    output wire        act_wmem,
    output wire        act_imem,
    output wire        act_lif
);
// (body follows in the next commit)
endmodule
